#include "cost/pricing.hpp"
