#pragma once

// The whole SDK. Plugins include switchboard/plugin.hpp, which includes this.
#include "switchboard/abi.hpp"
#include "switchboard/call_context.hpp"
#include "switchboard/error.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/http.hpp"
#include "switchboard/multipart.hpp"
#include "switchboard/result.hpp"
#include "switchboard/secret.hpp"
#include "switchboard/service_interface.hpp"
#include "switchboard/settings.hpp"
#include "switchboard/task.hpp"
#include "switchboard/types.hpp"
