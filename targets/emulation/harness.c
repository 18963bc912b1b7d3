/* Runs one layer between two SysTick readings and reports what it measured.
 * The generated layer file defines layer_run() and the output buffer. The empty region measured
 * first is the cost of the readings themselves; the host subtracts it. */
#include "emu.h"

extern int32_t layer_run(void);
extern const void *const layer_output;
extern const uint32_t layer_output_size;

static void print_count(const char *label, const emu_count *count)
{
    emu_print(label);
    emu_print_hex(count->wraps);
    emu_print(" ");
    emu_print_hex(count->ticks_left);
    emu_print("\n");
}

int main(void)
{
    emu_count warmup, empty_start, empty_end, layer_start, layer_end;
    emu_counter_start();
    emu_counter_read(&warmup); /* the first reading after enabling SysTick is off by about one */
    emu_counter_read(&empty_start);
    emu_counter_read(&empty_end);
    emu_counter_read(&layer_start);
    const int32_t status = layer_run();
    emu_counter_read(&layer_end);
    print_count("EMU-EMPTY-START ", &empty_start);
    print_count("EMU-EMPTY-END ", &empty_end);
    print_count("EMU-LAYER-START ", &layer_start);
    print_count("EMU-LAYER-END ", &layer_end);
    if (status != 0) {
        emu_print("EMU-ERROR the kernel returned a nonzero status\n");
        return 1;
    }
    if (emu_write_file("layer_output.bin", layer_output, layer_output_size) != 0) {
        emu_print("EMU-ERROR cannot write layer_output.bin\n");
        return 1;
    }
    emu_print("EMU-DONE\n");
    return 0;
}
