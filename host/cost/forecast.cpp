#include "cost/forecast.hpp"
