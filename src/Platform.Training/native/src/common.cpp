#include <string>
#include "common.h"

namespace {
thread_local std::string last_error;
}

void pt_set_error(const char* message) { last_error = message ? message : ""; }

PT_EXPORT const char* pt_last_error() { return last_error.c_str(); }

PT_EXPORT void pt_clear_error() { last_error.clear(); }
