//! The core's ports over the runtime's globals: `fetch`, `setTimeout` and `Date.now`, with web-sys types.
//! Bound structurally (no `instanceof`), so a custom `fetch` option or a polyfill works too, and every
//! call that can throw is marked `catch`: a JS exception must never unwind through Rust frames.

use std::cell::Cell;
use std::rc::Rc;

use clerk_m2m_core::ports::{Clock, HttpClient, HttpRequest, HttpResponse, Timer, TransportError};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, RequestInit};

use crate::shared_cache::CallCache;

// The globals as free functions, as gloo-net binds `fetch`: they exist in Workers, Node, Deno, Bun and
// browsers alike, where `Window` and `WorkerGlobalScope` each exist in only some.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Response headers the core reads; fetching only these keeps the boundary crossings per call constant.
const RESPONSE_HEADERS: [&str; 3] = ["content-type", "retry-after", "cf-ray"];

/// The ports for one call: the client's `fetch` (or the global one), the call's `AbortSignal`, and the client's
/// shared cache (src/shared_cache.rs).
pub struct WebPlatform {
    pub fetch: Option<Function>,
    pub signal: Option<AbortSignal>,
    pub shared_cache: CallCache,
}

impl WebPlatform {
    /// Ports without a shared cache (tests).
    #[cfg(test)]
    pub fn plain(signal: Option<AbortSignal>) -> Self {
        Self {
            fetch: None,
            signal,
            shared_cache: CallCache::new(Rc::new(crate::shared_cache::SharedCacheChoice::Off)),
        }
    }
}

impl Clock for WebPlatform {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}

impl Timer for WebPlatform {
    async fn sleep(&self, ms: u32) {
        let promise = Promise::new(&mut |resolve, _| {
            set_timeout(&resolve, f64::from(ms));
        });
        let _ = JsFuture::from(promise).await;
    }
}

impl HttpClient for WebPlatform {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.aborted()? {
            return Err(TransportError::Aborted);
        }
        let controller = AbortController::new().map_err(|e| network_error(&e))?;
        let init = request_init(&request, &controller.signal());

        // The request's timeout and the caller's signal both abort the same controller and end the deadline
        // that every await of the request races; both are undone when the call ends, so no timer or listener
        // outlives it.
        let deadline = Deadline::new();
        let timed_out = Rc::new(Cell::new(false));
        let timeout = request.timeout_ms.filter(|ms| *ms > 0).map(|ms| {
            let (flag, ctl, end) = (timed_out.clone(), controller.clone(), deadline.ender());
            let on_timeout = Closure::<dyn FnMut()>::new(move || {
                flag.set(true);
                ctl.abort();
                end();
            });
            let id = set_timeout(on_timeout.as_ref().unchecked_ref(), f64::from(ms));
            (id, on_timeout)
        });
        let on_abort = self.signal.as_ref().map(|signal| {
            let (ctl, end) = (controller.clone(), deadline.ender());
            let listener = Closure::<dyn FnMut()>::new(move || {
                ctl.abort();
                end();
            });
            let _ =
                signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            (signal.clone(), listener)
        });

        let result = self.fetch_and_read(&request.url, &init, &deadline).await;

        if let Some((id, _closure)) = timeout {
            clear_timeout(&id);
        }
        if let Some((signal, listener)) = on_abort {
            let _ = signal
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
        result.map_err(|e| {
            if self.aborted().unwrap_or(false) {
                TransportError::Aborted
            } else if timed_out.get() {
                TransportError::Timeout {
                    after_ms: request.timeout_ms.unwrap_or_default(),
                }
            } else {
                network_error(&e)
            }
        })
    }
}

impl WebPlatform {
    /// Whether the caller's signal is aborted (only `aborted: true` is). Read with `catch` (web-sys's `aborted`
    /// is not): a getter or a Proxy that throws is an error naming the signal, never an unwinding.
    fn aborted(&self) -> Result<bool, TransportError> {
        let Some(signal) = &self.signal else {
            return Ok(false);
        };
        match Reflect::get(signal, &"aborted".into()) {
            Ok(aborted) => Ok(aborted.as_bool() == Some(true)),
            Err(_) => Err(network_error(
                &js_sys::TypeError::new(
                    "params.signal.aborted cannot be read (a getter or a Proxy threw)",
                )
                .into(),
            )),
        }
    }

    async fn fetch_and_read(
        &self,
        url: &str,
        init: &RequestInit,
        deadline: &Deadline,
    ) -> Result<HttpResponse, JsValue> {
        let pending = match &self.fetch {
            Some(f) => f.call2(&JsValue::UNDEFINED, &JsValue::from_str(url), init)?,
            None => global_fetch(url, init)?.into(),
        };
        // A `Response` by shape: a polyfill's or another realm's works, a getter that throws is caught (web-sys's
        // getters of `status`, `statusText` and `headers` are not `catch`), and neither `fetch` nor `text()` has
        // to return a real promise (`JsFuture::from` would call a missing or throwing `then` unguarded).
        let response = deadline.race(&pending).await?;
        if !response.is_object() {
            return Err(JsValue::from_str("fetch returned no response object"));
        }
        let status = Reflect::get(&response, &"status".into())?
            .as_f64()
            .filter(|s| (0.0..1000.0).contains(s))
            .ok_or_else(|| {
                JsValue::from_str("fetch returned a response without a numeric status")
            })? as u16;
        let status_text = Reflect::get(&response, &"statusText".into())?
            .as_string()
            .unwrap_or_default();
        let headers = Reflect::get(&response, &"headers".into())?;
        let get = method(
            &headers,
            "get",
            "fetch returned a response without headers.get()",
        )?;
        let mut picked = Vec::with_capacity(RESPONSE_HEADERS.len());
        for name in RESPONSE_HEADERS {
            // A value that is not a string (a polyfill's number, say) counts as absent.
            if let Some(value) = get.call1(&headers, &JsValue::from_str(name))?.as_string() {
                picked.push((name.to_owned(), value));
            }
        }
        let text = method(
            &response,
            "text",
            "fetch returned a response without text()",
        )?;
        let body = deadline
            .race(&text.call0(&response)?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok(HttpResponse {
            status,
            status_text,
            headers: picked,
            body,
        })
    }
}

/// `target.name()`, for a method that must exist (a missing one is an error, never an unwinding).
pub fn call_method(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    method(target, name, name)?.call0(target)
}

/// `target[name]` if it is a function, else the error `missing`.
fn method(target: &JsValue, name: &str, missing: &str) -> Result<Function, JsValue> {
    let value = if target.is_object() || target.is_function() {
        Reflect::get(target, &JsValue::from_str(name))?
    } else {
        JsValue::UNDEFINED
    };
    value.dyn_into().map_err(|_| JsValue::from_str(missing))
}

/// When a request is given up: a promise that the timeout or the caller's abort resolves with a value of its
/// own. Every await of the request races it, so a `fetch` (or a body read) that ignores its `AbortSignal`, or
/// never settles, still ends then. It resolves, never rejects: one that nothing raced (a `fetch` that threw at
/// once) is no unhandled rejection.
pub(crate) struct Deadline {
    promise: Promise,
    /// What `promise` resolves with; no other value is this object.
    token: JsValue,
    resolve: Option<Function>,
    /// The timer of [`Deadline::with_timeout`], cleared on drop.
    timer: Option<(JsValue, Closure<dyn FnMut()>)>,
}

impl Deadline {
    fn new() -> Self {
        let mut resolve = None;
        let promise = Promise::new(&mut |r, _| resolve = Some(r));
        Self {
            promise,
            token: Object::new().into(),
            resolve,
            timer: None,
        }
    }

    /// A deadline that passes after `ms`.
    pub(crate) fn with_timeout(ms: u32) -> Self {
        let mut deadline = Self::new();
        let end = deadline.ender();
        let on_timeout = Closure::<dyn FnMut()>::new(end);
        let id = set_timeout(on_timeout.as_ref().unchecked_ref(), f64::from(ms));
        deadline.timer = Some((id, on_timeout));
        deadline
    }

    /// What ends the deadline, for a timer or a listener.
    fn ender(&self) -> impl Fn() + 'static {
        let (resolve, token) = (self.resolve.clone(), self.token.clone());
        move || {
            if let Some(resolve) = &resolve {
                let _ = resolve.call1(&JsValue::UNDEFINED, &token);
            }
        }
    }

    /// `value` settled as `await` settles it (a promise of any realm, a thenable, or a value; a `then` that
    /// throws is a rejection, never an unwinding: `Promise.race` adopts it), or an error once the deadline
    /// has passed.
    pub(crate) async fn race(&self, value: &JsValue) -> Result<JsValue, JsValue> {
        let settled = JsFuture::from(Promise::race(&Array::of2(value, &self.promise))).await?;
        if settled == self.token {
            Err(JsValue::from_str("the request was given up"))
        } else {
            Ok(settled)
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some((id, _)) = &self.timer {
            clear_timeout(id);
        }
    }
}

fn request_init(request: &HttpRequest, signal: &AbortSignal) -> RequestInit {
    let init = RequestInit::new();
    // A record of header names to values, which every fetch (and a custom one) reads; a `Headers` object would
    // need the runtime's own class.
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(Some(signal));
    init
}

thread_local! {
    /// The runtime's error of the last failed fetch: `convert::error_to_js` hands it to JS as the `cause` of the
    /// network-failure error that the core makes of it. The core turns a transport failure into its error
    /// within the same poll (a retry's later failure replaces it first), so the last one is this call's.
    static LAST_FETCH_ERROR: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
}

/// The runtime's error behind the network failure just reported, once.
pub fn take_fetch_error() -> Option<JsValue> {
    LAST_FETCH_ERROR.with(|last| last.borrow_mut().take())
}

fn network_error(e: &JsValue) -> TransportError {
    LAST_FETCH_ERROR.with(|last| *last.borrow_mut() = Some(e.clone()));
    let message = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string());
    TransportError::Network {
        message: message.unwrap_or_else(|| "fetch failed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    //! The fetch adapter against the local Backend API (its URL is baked in at compile time by scripts/test;
    //! without it these tests have nothing to talk to and only check that).
    use super::*;
    use clerk_m2m_core::ports::Method;
    use wasm_bindgen_test::wasm_bindgen_test;

    const BAPI: Option<&str> = option_env!("LOCAL_BAPI_URL");

    fn request(
        method: Method,
        path: &str,
        body: Option<&str>,
        timeout_ms: Option<u32>,
    ) -> HttpRequest {
        HttpRequest {
            method,
            url: format!("{}{path}", BAPI.unwrap_or("http://127.0.0.1:9")),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.map(str::to_owned),
            timeout_ms,
        }
    }

    #[wasm_bindgen_test]
    async fn a_response_is_read_whole_with_its_headers() {
        let Some(_) = BAPI else { return };
        let p = WebPlatform::plain(None);
        let r = p
            .send(request(Method::Get, "/v1/jwks", None, Some(5000)))
            .await;
        let r = r.unwrap_or_default();
        assert_eq!(r.status, 401, "no key: Clerk's 401");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.body.contains("clerk_trace_id"), "{}", r.body);
    }

    #[wasm_bindgen_test]
    async fn a_hang_ends_in_a_timeout_and_a_refused_connection_in_a_network_error() {
        let Some(_) = BAPI else { return };
        let p = WebPlatform::plain(None);
        let fault = r#"{"route":"jwks","count":1,"fault":{"kind":"hang"}}"#;
        let set = p
            .send(request(Method::Post, "/__admin/faults", Some(fault), None))
            .await;
        assert_eq!(set.map(|r| r.status).ok(), Some(201));
        let hung = p
            .send(request(Method::Get, "/v1/jwks", None, Some(200)))
            .await;
        assert_eq!(hung.err(), Some(TransportError::Timeout { after_ms: 200 }));
        let mut refused = request(Method::Get, "/", None, Some(5000));
        refused.url = "http://127.0.0.1:9/".into();
        assert!(matches!(
            p.send(refused).await,
            Err(TransportError::Network { .. })
        ));
    }

    #[wasm_bindgen_test]
    async fn an_aborted_signal_is_reported_as_aborted() {
        let controller = AbortController::new().ok();
        let Some(controller) = controller else { return };
        controller.abort();
        let p = WebPlatform::plain(Some(controller.signal()));
        let r = p.send(request(Method::Get, "/v1/jwks", None, None)).await;
        assert_eq!(r.err(), Some(TransportError::Aborted));
    }
}
