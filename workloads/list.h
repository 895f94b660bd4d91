/* The one list of workloads, in the order --list and the defaults show them. A line
 * WORKLOAD(x) is all it takes to add one: it declares and registers x_workload
 * (workloads/registry.c) and builds workloads/x.c, which defines it (workloads/meson.build
 * reads this file). */
WORKLOAD(countdown)
WORKLOAD(power)
WORKLOAD(sleep)
WORKLOAD(stall)
WORKLOAD(http)
WORKLOAD(bank)
WORKLOAD(deadlock)
WORKLOAD(queue)
WORKLOAD(pingpong)
WORKLOAD(steps)
WORKLOAD(mix)
WORKLOAD(plugin)
