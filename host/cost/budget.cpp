#include "cost/budget.hpp"
