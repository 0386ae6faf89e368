//! A single-threaded executor for futures whose awaits all resolve in-process (every fake of [`crate::fake`]
//! is immediate, or yields a bounded number of times).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future whose awaits all resolve without outside help (every fake here is immediate). A future
/// still pending after many polls is a hang, reported as a panic so the fuzzer keeps the input.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!(
        "future still pending after 10000 polls: the core waits on something that never happens"
    );
}

/// Returns `Pending` `n` times (waking itself each time), then completes.
pub(crate) struct YieldNow(pub(crate) u8);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls `a` and `b` in turn until both are done; `b` is dropped unfinished after `drop_b_after` polls
/// (a caller that went away mid-verification). A pair still pending after many polls is a hang.
pub(crate) fn join_or_drop<A: Future, B: Future>(
    a: A,
    b: B,
    drop_b_after: Option<u32>,
) -> (A::Output, Option<B::Output>) {
    let mut a = pin!(a);
    let mut b = Some(Box::pin(b));
    let mut cx = Context::from_waker(Waker::noop());
    let (mut out_a, mut out_b) = (None, None);
    for poll in 0..10_000u32 {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                out_a = Some(v);
            }
        }
        if let Some(fut) = b.as_mut() {
            if drop_b_after.is_some_and(|n| poll >= n) {
                b = None;
            } else if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                out_b = Some(v);
                b = None;
            }
        }
        if b.is_none() {
            if let Some(v) = out_a.take() {
                return (v, out_b);
            }
        }
    }
    panic!("two concurrent calls still pending after 10000 polls: a hang");
}
