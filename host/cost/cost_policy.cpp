#include "cost/cost_policy.hpp"
