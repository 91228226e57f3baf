// A real shared library that exports something, but no Switchboard entry point.
extern "C" __attribute__((visibility("default"))) int switchboard_test_not_a_plugin() { return 42; }
