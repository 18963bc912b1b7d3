/* Services of the emulation harness: semihosting output and the SysTick instruction counter. */
#ifndef MICROINFER_EMU_H
#define MICROINFER_EMU_H
#include <stdint.h>

typedef struct {
    uint32_t wraps;      /* SysTick reloads (each 2^24 ticks) since emu_counter_start */
    uint32_t ticks_left; /* SysTick current value: counts down from 0xFFFFFF */
} emu_count;

/* One semihosting call (the ARM or RISC-V sequence of the core built for). */
int emu_semihost(int operation, const void *argument);
void emu_print(const char *text);
void emu_print_hex(uint32_t value);
int emu_write_file(const char *path, const void *data, uint32_t size);
void emu_exit(int failed);
void emu_counter_start(void);
void emu_counter_read(emu_count *count);

#endif
