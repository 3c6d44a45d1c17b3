use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn execution(name: &str, class: ExecutionClass, age_minutes: i64) -> ClassifiedExecution {
    ClassifiedExecution {
        runner_id: Some(100),
        start_time: Some(now() - Duration::minutes(age_minutes)),
        ..ClassifiedExecution::for_test(name, class)
    }
}

/// Each execution seen in its current class for `ticks` ticks (since `ticks` minutes ago).
fn seen(executions: &[ClassifiedExecution], ticks: u32) -> HashMap<String, Seen> {
    executions
        .iter()
        .map(|e| {
            let since = now() - Duration::minutes(i64::from(ticks));
            (
                e.name.clone(),
                Seen {
                    class: e.class,
                    ticks,
                    since,
                },
            )
        })
        .collect()
}

fn demand(n: u64) -> Vec<DemandJob> {
    (0..n)
        .map(|job_id| DemandJob {
            job_id,
            target: Target::Org,
        })
        .collect()
}

fn input<'a>(
    executions: &'a [ClassifiedExecution],
    seen: &'a HashMap<String, Seen>,
    demand: &'a [DemandJob],
    warm_minimum: u32,
) -> DrainInput<'a> {
    DrainInput {
        executions,
        seen,
        demand,
        warm_minimum,
        warm_target: Some(Target::Org),
        orphans: &[],
        reads_complete: true,
        now: now(),
        boot_grace: Duration::minutes(5),
        finished_grace: Duration::minutes(2),
        max_stops_per_tick: 10,
        stop_lost: true,
    }
}

fn stopped(plan: &DrainPlan) -> Vec<(&str, StopReason)> {
    plan.stops
        .iter()
        .map(|s| (s.execution.as_str(), s.reason))
        .collect()
}

#[test]
fn surplus_idle_runners_are_drained_only_after_two_idle_observations() {
    let executions = vec![
        execution("a", ExecutionClass::Idle, 30),
        execution("b", ExecutionClass::Idle, 20),
    ];
    let once = seen(&executions, 1);
    let plan = plan_drain(&input(&executions, &once, &[], 0));
    assert_eq!(plan.surplus, 2);
    assert!(plan.stops.is_empty());

    let twice = seen(&executions, 2);
    let plan = plan_drain(&input(&executions, &twice, &[], 0));
    assert_eq!(
        stopped(&plan),
        vec![("a", StopReason::Surplus), ("b", StopReason::Surplus)]
    );
}

#[test]
fn idle_runners_needed_by_demand_or_the_warm_minimum_stay_and_the_oldest_go_first() {
    let executions = vec![
        execution("young", ExecutionClass::Idle, 5),
        execution("old", ExecutionClass::Idle, 50),
        execution("middle", ExecutionClass::Idle, 20),
        execution("booting", ExecutionClass::Booting, 1),
        execution("busy", ExecutionClass::Busy, 60),
    ];
    let twice = seen(&executions, 2);
    let cases: Vec<(u64, u32, Vec<&str>)> = vec![
        // 4 spare, nothing needed: the 3 idle go, oldest first; the booting one is waited for.
        (0, 0, vec!["old", "middle", "young"]),
        // Idle runners serve the need before booting ones: they are ready now.
        (1, 0, vec!["old", "middle"]),
        (0, 2, vec!["old"]),
        (1, 2, vec![]),
        (5, 0, vec![]),
    ];
    for (demand_count, warm, expected) in cases {
        let demand = demand(demand_count);
        let plan = plan_drain(&input(&executions, &twice, &demand, warm));
        let names: Vec<&str> = plan.stops.iter().map(|s| s.execution.as_str()).collect();
        assert_eq!(names, expected, "demand {demand_count}, warm {warm}");
    }
}

#[test]
fn lost_and_overdue_finished_executions_are_stopped_before_surplus() {
    let mut finished_recently = execution("done-now", ExecutionClass::Finished, 30);
    finished_recently.finished_at = Some(now() - Duration::seconds(30));
    let mut finished_long_ago = execution("done-long", ExecutionClass::Finished, 30);
    finished_long_ago.finished_at = Some(now() - Duration::minutes(10));
    let executions = vec![
        execution("idle", ExecutionClass::Idle, 40),
        execution("lost", ExecutionClass::Lost, 40),
        finished_recently,
        finished_long_ago,
    ];
    let twice = seen(&executions, 2);
    let plan = plan_drain(&input(&executions, &twice, &[], 0));
    assert_eq!(
        stopped(&plan),
        vec![
            ("done-long", StopReason::Finished),
            ("lost", StopReason::Lost),
            ("idle", StopReason::Surplus)
        ]
    );

    let mut capped = input(&executions, &twice, &[], 0);
    capped.max_stops_per_tick = 1;
    let plan = plan_drain(&capped);
    assert_eq!(stopped(&plan), vec![("done-long", StopReason::Finished)]);
    assert_eq!(plan.deferred, 2);
}

#[test]
fn nothing_is_stopped_when_a_read_failed() {
    let executions = vec![
        execution("lost", ExecutionClass::Lost, 40),
        execution("idle", ExecutionClass::Idle, 40),
    ];
    let twice = seen(&executions, 2);
    let mut failed = input(&executions, &twice, &[], 0);
    failed.reads_complete = false;
    let plan = plan_drain(&failed);
    assert!(plan.stops.is_empty());
    assert!(plan.held_back.is_some());
    assert_eq!(
        plan.surplus, 1,
        "what a clean tick would drain is still reported"
    );
}

#[test]
fn a_class_change_restarts_the_count() {
    let executions = vec![execution("a", ExecutionClass::Idle, 40)];
    let mut history = seen(&executions, 3);
    history.get_mut("a").unwrap().class = ExecutionClass::Busy;
    let plan = plan_drain(&input(&executions, &history, &[], 0));
    assert!(plan.stops.is_empty());
}

#[test]
fn busy_booting_unobserved_and_foreign_executions_are_never_stopped() {
    let executions = vec![
        execution("busy", ExecutionClass::Busy, 300),
        execution("booting", ExecutionClass::Booting, 2),
        execution("unobserved", ExecutionClass::Unobserved, 300),
        execution("foreign", ExecutionClass::Foreign, 300),
    ];
    let history = seen(&executions, 10);
    let plan = plan_drain(&input(&executions, &history, &[], 0));
    assert!(plan.stops.is_empty(), "{:?}", plan.stops);
}

#[test]
fn orphan_registrations_go_after_the_boot_grace_and_two_sightings() {
    let orphan = |id, ticks, minutes| Orphan {
        runner_id: id,
        runner_name: format!("pool-{id}"),
        target: Target::Org,
        ticks,
        since: now() - Duration::minutes(minutes),
    };
    let orphans = vec![orphan(1, 6, 6), orphan(2, 1, 6), orphan(3, 3, 3)];
    let nothing_seen = HashMap::new();
    let mut drain = input(&[], &nothing_seen, &[], 0);
    drain.orphans = &orphans;
    let plan = plan_drain(&drain);
    let ids: Vec<u64> = plan.orphans.iter().map(|o| o.0).collect();
    assert_eq!(ids, vec![1]);
}

#[test]
fn lost_executions_are_left_alone_when_the_image_registers_itself() {
    let executions = vec![execution("lost", ExecutionClass::Lost, 40)];
    let twice = seen(&executions, 2);
    let mut drain = input(&executions, &twice, &[], 0);
    drain.stop_lost = false;
    assert!(plan_drain(&drain).stops.is_empty());
}

#[test]
fn two_looks_a_moment_apart_are_one_observation() {
    let executions = vec![execution("idle", ExecutionClass::Idle, 40)];
    let mut history = seen(&executions, 2);
    history.get_mut("idle").unwrap().since = now() - Duration::seconds(1);
    assert!(
        plan_drain(&input(&executions, &history, &[], 0))
            .stops
            .is_empty()
    );
}

#[test]
fn a_start_not_listed_by_arm_yet_is_never_stopped() {
    let mut remembered = execution("(starting pool-x)", ExecutionClass::Lost, 40);
    remembered.remembered = true;
    let executions = vec![remembered];
    let history = seen(&executions, 5);
    assert!(
        plan_drain(&input(&executions, &history, &[], 0))
            .stops
            .is_empty()
    );
}
