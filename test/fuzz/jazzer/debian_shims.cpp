// Shims so the addon links against Debian's stock libFuzzer (no jazzer fork patches).
#include <cstdint>
extern "C" {
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
void __jazzer_set_death_callback(void (*callback)());
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t, uint64_t a, uint64_t b) { __sanitizer_cov_trace_const_cmp8(a, b); }
void __sanitizer_cov_trace_pc_indir_with_pc(void *, uintptr_t callee) { __sanitizer_cov_trace_pc_indir(callee); }
void __sanitizer_set_death_callback(void (*cb)()) { __jazzer_set_death_callback(cb); }
}
