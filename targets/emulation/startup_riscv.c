/* Bare-metal startup for the emulated RISC-V machine (QEMU `virt`, RV32): entry point, stack, .data
 * and .bss, semihosting I/O and the instruction counter. QEMU runs with -icount, so the minstret
 * CSR counts retired instructions exactly (Zicsr encoded with .insn: the Debian toolchain's rv32imc
 * multilib has no _zicsr variant). */
#include <stddef.h>
#include <stdint.h>
#include "emu.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern int main(void);

void emu_reset_handler(void);
void emu_start_c(void);

/* The first instructions at the start of code memory, where QEMU's reset vector jumps. */
__attribute__((section(".vectors"), naked, used)) void emu_reset_handler(void)
{
    __asm__ volatile(
        "la sp, __stack_top\n\t"
        "j emu_start_c\n\t");
}

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023

__attribute__((noinline)) static int semihost(int operation, const void *argument)
{
    /* The RISC-V semihosting sequence: three uncompressed instructions within one page. */
    register int a0 __asm__("a0") = operation;
    register const void *a1 __asm__("a1") = argument;
    __asm__ volatile(
        ".option push\n\t"
        ".option norvc\n\t"
        ".balign 16\n\t"
        "slli zero, zero, 0x1f\n\t"
        "ebreak\n\t"
        "srai zero, zero, 7\n\t"
        ".option pop"
        : "+r"(a0)
        : "r"(a1)
        : "memory");
    return a0;
}

int emu_semihost(int operation, const void *argument) { return semihost(operation, argument); }

void emu_print(const char *text) { semihost(SYS_WRITE0, text); }

void emu_print_hex(uint32_t value)
{
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
    semihost(SYS_EXIT, (const void *)(failed ? ADP_STOPPED_RUN_TIME_ERROR : ADP_STOPPED_APPLICATION_EXIT));
    for (;;) {
    }
}

void emu_counter_start(void) {}

static inline uint32_t read_minstret(void)
{
    uint32_t value;
    __asm__ volatile(".insn i 0x73, 2, %0, x0, -1278" : "=r"(value)); /* csrr value, minstret (CSR 0xB02) */
    return value;
}

static inline uint32_t read_minstreth(void)
{
    uint32_t value;
    __asm__ volatile(".insn i 0x73, 2, %0, x0, -1150" : "=r"(value)); /* csrr value, minstreth (CSR 0xB82) */
    return value;
}

void emu_counter_read(emu_count *count)
{
    /* minstret counts up; the high word is read around the low one so that a carry is not lost.
       `wraps` carries the high word, `ticks_left` the low one. */
    uint32_t high, low;
    do {
        high = read_minstreth();
        low = read_minstret();
    } while (high != read_minstreth());
    count->wraps = high;
    count->ticks_left = low;
}

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

EMU_PLAIN_LOOPS void emu_start_c(void)
{
    uint32_t *from = &__data_load;
    for (uint32_t *to = &__data_start; to < &__data_end;) {
        *to++ = *from++;
    }
    for (uint32_t *to = &__bss_start; to < &__bss_end;) {
        *to++ = 0u;
    }
    emu_exit(main() != 0);
}
