/* Bare-metal startup for the emulated Cortex-M machines: vector table, reset handler,
 * FPU/MVE enable, semihosting I/O and a SysTick instruction counter.
 * QEMU runs with -icount shift=7, so SysTick ticks at a fixed rate per instruction. */
#include <stddef.h>
#include <stdint.h>
#include "emu.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern int main(void);

void emu_reset_handler(void);
void emu_systick_handler(void);
static void emu_fault_handler(void);

__attribute__((section(".vectors"), used))
static void (*const vector_table[16])(void) = {
    (void (*)(void))&__stack_top,
    emu_reset_handler,
    emu_fault_handler, /* NMI */
    emu_fault_handler, /* HardFault */
    emu_fault_handler, emu_fault_handler, emu_fault_handler, /* MemManage, BusFault, UsageFault */
    0, 0, 0, 0,
    emu_fault_handler, /* SVCall */
    0, 0,
    emu_fault_handler, /* PendSV */
    emu_systick_handler,
};

#define CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023

static volatile uint32_t systick_wraps;

static int semihost(int operation, const void *argument)
{
    register int r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int emu_semihost(int operation, const void *argument) { return semihost(operation, argument); }

void emu_print(const char *text) { semihost(SYS_WRITE0, text); }

void emu_print_hex(uint32_t value)
{
    /* Hexadecimal needs no division: ARMv6-M has none, and a library division would run inside
       the traced program. */
    char digits[9];
    for (int at = 7; at >= 0; at--) {
        digits[at] = "0123456789abcdef"[value & 0xFu];
        value >>= 4;
    }
    digits[8] = '\0';
    emu_print(digits);
}

int emu_write_file(const char *path, const void *data, uint32_t size)
{
    const uint32_t write_binary = 5u;
    uint32_t open_args[3] = {(uint32_t)path, write_binary, 0u};
    while (path[open_args[2]] != '\0') {
        open_args[2]++;
    }
    int handle = semihost(SYS_OPEN, open_args);
    if (handle < 0) {
        return -1;
    }
    uint32_t write_args[3] = {(uint32_t)handle, (uint32_t)data, size};
    int not_written = semihost(SYS_WRITE, write_args);
    semihost(SYS_CLOSE, &handle);
    return not_written == 0 ? 0 : -1;
}

void emu_exit(int failed)
{
    /* The extended exit call is not on v6-M semihosting in every QEMU; the reason code is enough. */
    semihost(SYS_EXIT, (const void *)(failed ? ADP_STOPPED_RUN_TIME_ERROR : ADP_STOPPED_APPLICATION_EXIT));
    for (;;) {
    }
}

void emu_counter_start(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    systick_wraps = 0u;
    SYST_CSR = 7u; /* processor clock source bit as QEMU expects, interrupt on wrap, enabled */
}

void emu_counter_read(emu_count *count)
{
    /* Read wraps around the counter so that a wrap between the two reads is not lost. */
    uint32_t wraps, ticks_left;
    do {
        wraps = systick_wraps;
        ticks_left = SYST_CVR;
    } while (wraps != systick_wraps);
    count->wraps = wraps;
    count->ticks_left = ticks_left;
}

void emu_systick_handler(void) { systick_wraps++; }

static void emu_fault_handler(void)
{
    emu_print("EMU-FAULT\n");
    emu_exit(1);
}

/* GCC would turn these loops into calls to memcpy/memset (themselves); and the block trace must not
   count startup work as the layer's: keep them plain loops. */
#define EMU_PLAIN_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))

EMU_PLAIN_LOOPS void *memcpy(void *destination, const void *source, size_t size)
{
    unsigned char *to = destination;
    const unsigned char *from = source;
    while (size-- != 0u) {
        *to++ = *from++;
    }
    return destination;
}

EMU_PLAIN_LOOPS void *memset(void *destination, int value, size_t size)
{
    unsigned char *to = destination;
    while (size-- != 0u) {
        *to++ = (unsigned char)value;
    }
    return destination;
}

EMU_PLAIN_LOOPS void emu_reset_handler(void)
{
    uint32_t *from = &__data_load;
    for (uint32_t *to = &__data_start; to < &__data_end;) {
        *to++ = *from++;
    }
    for (uint32_t *to = &__bss_start; to < &__bss_end;) {
        *to++ = 0u;
    }
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    CPACR |= 0xFu << 20; /* full access to coprocessors 10 and 11: FPU and MVE */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    emu_exit(main() != 0);
}
