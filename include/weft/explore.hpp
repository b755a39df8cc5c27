// weft/explore.hpp — running code in a deterministic scope and exploring its schedules.
//
//   weft::report r = weft::explore(weft::options::from_env(), [] {
//     weft::chan<int> ch;
//     weft::go([ch] { ch.send(42); });
//     if (ch.recv() != 42) throw std::logic_error("lost the value");
//   });
//   if (!r.ok()) std::cerr << r.message;   // kind, evidence, schedule tail, replay line
//
// `explore` runs `body` once per iteration, each time under a schedule chosen by the strategy,
// until a bug is found, the iterations or the time budget are spent, or (dfs) every schedule
// within the bound has run. The same options explore the same schedules on every run. With
// `options::replay` set it runs exactly the recorded schedule once.
//
// Blocking: runs on the calling thread (plus options::jobs - 1 helper threads); returns when done.
// Misuse: calling it inside a scope, or bad options, throws weft::usage_error.
#pragma once

#include <functional>

#include "weft/options.hpp"

namespace weft {

/// Explores until a failure or the budget ends; the report says what was found.
report explore(const options& opts, std::function<void()> body);
/// Exactly one execution (seed 0, default options).
report run(std::function<void()> body);
/// Like explore, but throws weft::failure (carrying the report) when a bug is found.
void check(const options& opts, std::function<void()> body);

namespace detail {
/// Reports a failure found in user code from outside the engine's own primitives (the test
/// adapters call it for a failed assertion inside a task). Returns false outside a scope.
bool report_user_failure(failure_kind kind, const std::string& headline,
                         const std::string& evidence);
/// The command line that re-runs this process ("./my_tests"), for replay lines.
std::string current_command();
}  // namespace detail

}  // namespace weft
