#pragma once

// Plugins build with -fvisibility=hidden; every SDK type that crosses the plugin boundary is
// marked visible so its typeinfo and vtable resolve to one definition in host and plugin.
#if defined(_WIN32)
#define SWITCHBOARD_API
#else
#define SWITCHBOARD_API __attribute__((visibility("default")))
#endif
