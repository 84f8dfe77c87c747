// A shared library that is not an nnplug plugin: it exports nothing the loader looks for.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
