//! Planner runs requested through the API: each runs on a blocking thread, reports its
//! progress to the job's record about once a second, and keeps its plan when done. On shutdown
//! the runs are stopped and marked failed, so that they can be run again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::Scenario;
use planner::{Options, Params, Plan, Progress};
use store::{Actor, NewPlan, Store};
use tokio::task::JoinSet;

/// The record kept of a plan.
pub fn plan_record(plan: &Plan) -> NewPlan {
    NewPlan {
        scenario: plan.scenario.clone(),
        status: serde_json::to_value(plan.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        unmet_weighted: i64::try_from(plan.objective.unmet_weighted).unwrap_or(i64::MAX),
        bound: i64::try_from(plan.bound.unmet_weighted).unwrap_or(i64::MAX),
        options: serde_json::to_string(&plan.options).unwrap_or_else(|_| "{}".into()),
        body: plan.to_json_pretty(),
    }
}

/// What a run needs besides the scenario.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub options: Options,
    pub time_limit: Duration,
    pub seed: u64,
}

#[derive(Clone, Default)]
pub struct Runner {
    stopping: Arc<AtomicBool>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl Runner {
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Starts job `id` in the background.
    pub fn start(
        &self,
        store: Arc<dyn Store>,
        id: i64,
        scenario: Scenario,
        spec: RunSpec,
        actor: Actor,
    ) {
        let stopping = self.stopping.clone();
        let mut tasks = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Reap finished runs so the set does not grow.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            if let Err(e) = run(store.as_ref(), id, scenario, spec, &actor, stopping).await {
                tracing::error!(job = id, error = %e, "planner job could not be recorded");
            }
        });
    }

    /// Stops every run and waits (up to `timeout`) for each to record that it stopped.
    pub async fn stop(&self, store: &dyn Store, timeout: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        let mut tasks = std::mem::take(
            &mut *self
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let drained = tokio::time::timeout(timeout, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.abort_all();
            if let Err(e) = store.fail_interrupted_jobs().await {
                tracing::error!(error = %e, "could not mark stopped planner jobs failed");
            }
        }
    }
}

fn progress_json(p: &Progress, elapsed: Duration) -> String {
    serde_json::json!({"iteration": p.iteration, "unmet_weighted": p.unmet_weighted,
        "bound": p.bound, "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)})
    .to_string()
}

async fn run(
    store: &dyn Store,
    id: i64,
    scenario: Scenario,
    spec: RunSpec,
    actor: &Actor,
    stopping: Arc<AtomicBool>,
) -> store::Result<()> {
    let latest: Arc<Mutex<Option<Progress>>> = Arc::default();
    let (seen, stop) = (latest.clone(), stopping.clone());
    let started = Instant::now();
    let limit = spec.time_limit;
    let mut handle = tokio::task::spawn_blocking(move || {
        let params = Params {
            seed: spec.seed,
            max_iterations: u64::MAX,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            ..Params::default()
        };
        let mut control = |p: &Progress| {
            if let Ok(mut slot) = seen.lock() {
                *slot = Some(*p);
            }
            !stop.load(Ordering::SeqCst) && started.elapsed() < limit
        };
        planner::solve(&scenario, &spec.options, &params, &mut control)
    });
    store
        .job_progress(id, &progress_json(&Progress::default(), Duration::ZERO))
        .await?;
    let result = loop {
        tokio::select! {
            r = &mut handle => break r,
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                let p = latest.lock().ok().and_then(|g| *g);
                if let Some(p) = p {
                    store.job_progress(id, &progress_json(&p, started.elapsed())).await?;
                }
            }
        }
    };
    if stopping.load(Ordering::SeqCst) {
        return store
            .fail_job(
                id,
                "interrupted: the server stopped before the run finished; run it again",
            )
            .await;
    }
    match result {
        Ok(Ok(mut plan)) => {
            plan.stats.solve_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            store.finish_job(id, &plan_record(&plan), actor).await?;
        }
        Ok(Err(e)) => store.fail_job(id, &e.to_string()).await?,
        Err(e) => {
            tracing::error!(job = id, error = %e, "planner run panicked");
            store
                .fail_job(id, "the planner stopped unexpectedly")
                .await?;
        }
    }
    Ok(())
}
