#pragma once
// An invariant of the code under fuzzing: a violation aborts, which libFuzzer (and the replay
// driver, by its exit status) reports as a finding with the input that caused it.

#include <cstdio>
#include <cstdlib>

#define COHORT_FUZZ_CHECK(cond)                                                         \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
