#pragma once
// NNPLUG_VECTOR_CLONES marks a loop that runs over every parameter or gradient at every step: it is compiled for
// AVX-512 and AVX2 as well, and the best the CPU has is chosen when the plugin loads (function multi-versioning).
// A plugin is otherwise built for the baseline x86-64, whose SSE2 takes two to four times as long over the same loop.
// GCC only: clang 14 (the sanitizer build) cannot clone function templates, and those builds are for checking.
// A cloned loop takes the struct that holds its constants by value, not by reference: through the reference GCC
// read a field (Rprop's step's bool) again at every element, and ran the loop scalar. An OpenMP loop inside a cloned
// function is cloned with it; a helper it calls is not inlined by GCC, and runs its baseline copy, unless it is marked
// [[gnu::always_inline]] (normalization_moments.hpp).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NNPLUG_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NNPLUG_VECTOR_CLONES
#endif
