//! Single flight: one caller does the work (a JWKS fetch, an opaque-token verification) and the others
//! wait for its outcome, each for a bounded time, instead of sending the same request again.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::ports::Timer;

/// How a flight other callers may be waiting on ended.
#[derive(Clone)]
pub(crate) enum Settled<T> {
    Done(T),
    /// The leading caller went away (its future was dropped, or its own signal aborted it): the waiters
    /// do the work themselves.
    Abandoned,
}

/// One piece of work in progress: the notification other callers wait on.
pub(crate) struct Flight<T> {
    /// Unique in this thread, so that a leader removes only its own flight from a registry.
    pub id: u64,
    settled: RefCell<Option<Settled<T>>>,
    wakers: RefCell<Vec<Waker>>,
}

impl<T: Clone> Flight<T> {
    pub fn new() -> Self {
        thread_local!(static NEXT: Cell<u64> = const { Cell::new(0) });
        let id = NEXT.with(|n| {
            let id = n.get().wrapping_add(1);
            n.set(id);
            id
        });
        Self {
            id,
            settled: RefCell::new(None),
            wakers: RefCell::new(Vec::new()),
        }
    }

    pub fn settle(&self, outcome: Settled<T>) {
        *self.settled.borrow_mut() = Some(outcome);
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    fn poll_settled(&self, cx: &mut Context<'_>) -> Poll<Settled<T>> {
        if let Some(outcome) = &*self.settled.borrow() {
            return Poll::Ready(outcome.clone());
        }
        let mut wakers = self.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Waits for `flight` to settle, or `None` after `bound_ms`.
pub(crate) async fn wait_bounded<P: Timer, T: Clone>(
    p: &P,
    flight: &Flight<T>,
    bound_ms: u32,
) -> Option<Settled<T>> {
    let mut sleep = pin!(p.sleep(bound_ms));
    poll_fn(|cx| {
        if let Poll::Ready(outcome) = flight.poll_settled(cx) {
            return Poll::Ready(Some(outcome));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}
