#pragma once
// Shared by every translation unit of the shim: the export macro, the error channel and the
// CATCH wrappers. Nothing may cross the C ABI as a C++ exception.
#include <stdint.h>

#define PT_EXPORT extern "C" __attribute__((visibility("default")))

void pt_set_error(const char* message);

#define PT_CATCH(fallback, ...)                                          \
  try {                                                                  \
    __VA_ARGS__                                                          \
  } catch (const c10::Error& e) {                                        \
    pt_set_error(e.what_without_backtrace());                            \
  } catch (const std::exception& e) {                                    \
    pt_set_error(e.what());                                              \
  } catch (...) {                                                        \
    pt_set_error("unknown native error");                                \
  }                                                                      \
  return fallback;

#define PT_CATCH_STD(fallback, ...)                                      \
  try {                                                                  \
    __VA_ARGS__                                                          \
  } catch (const std::exception& e) {                                    \
    pt_set_error(e.what());                                              \
  } catch (...) {                                                        \
    pt_set_error("unknown native error");                                \
  }                                                                      \
  return fallback;
