// weft/weft.hpp — everything in weft except the test-framework adapters.
//
// Write concurrent code with these primitives once; it runs on real threads in production and as
// deterministic, explorable fibers inside weft::explore / WEFT_TEST / WEFT_TEST_CASE.
#pragma once

#include "weft/atomic.hpp"
#include "weft/chan.hpp"
#include "weft/cond_var.hpp"
#include "weft/context.hpp"
#include "weft/errgroup.hpp"
#include "weft/explore.hpp"
#include "weft/lock_guard.hpp"
#include "weft/mutex.hpp"
#include "weft/once.hpp"
#include "weft/options.hpp"
#include "weft/rw_mutex.hpp"
#include "weft/select.hpp"
#include "weft/semaphore.hpp"
#include "weft/task.hpp"
#include "weft/time.hpp"
#include "weft/timer.hpp"
#include "weft/tracked.hpp"
#include "weft/wait_group.hpp"
#include "weft/worker_pool.hpp"
