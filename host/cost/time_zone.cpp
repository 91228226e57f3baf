#include "cost/time_zone.hpp"
