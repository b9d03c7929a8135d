// Tally plugin SDK: the C++ face of <tally/plugin.h>, all of it.
//
// Header-only, so it is compiled into each plugin with the plugin's own
// compiler and standard library; only the plain-C boundary crosses into the
// host. Each concept has its own header (value, query, metric, report,
// source, calendar, format, ...); this umbrella includes them all.
//
// Every exception a plugin throws is caught in the trampolines and returned
// to the host as an error message; none ever crosses the boundary.
#pragma once

#include <tally/calendar.hpp>
#include <tally/context.hpp>
#include <tally/kpi.hpp>
#include <tally/metric.hpp>
#include <tally/query.hpp>
#include <tally/report.hpp>
#include <tally/source.hpp>
#include <tally/value.hpp>
