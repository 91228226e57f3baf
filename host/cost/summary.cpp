#include "cost/summary.hpp"
