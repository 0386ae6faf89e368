//! The core's [`SharedCache`] over the Cache API (web-sys `Cache`): Workers' `caches.default`, found at first use
//! (it exists only there), or the `sharedCache` option. Every call is `catch` and bounded: a Cache API that
//! throws, rejects, hangs or is missing is a miss, and the network stays the source.

use std::cell::OnceCell;
use std::rc::Rc;

use clerk_m2m_core::ports::SharedCache;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Cache, Response, ResponseInit};

use crate::platform::{call_method, Deadline, WebPlatform};

/// A cache operation is given up after this long (the isolate's own cache answers in well under a millisecond).
const CACHE_TIMEOUT_MS: u32 = 1_000;

#[wasm_bindgen]
extern "C" {
    /// A web-sys `Cache` through `catch` methods (web-sys's are not), so a throwing cache never unwinds through Rust.
    #[wasm_bindgen(extends = Cache)]
    type CatchingCache;
    #[wasm_bindgen(method, catch, js_name = "match")]
    fn match_key(this: &CatchingCache, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = "put")]
    fn put_key(this: &CatchingCache, key: &str, response: &Response) -> Result<JsValue, JsValue>;
}

/// The client's `sharedCache` choice (js/api.js checked its shape).
pub enum SharedCacheChoice {
    /// `caches.default` where the runtime has it.
    Automatic,
    /// `sharedCache: false`.
    Off,
    /// A `Cache` the caller gave.
    Given(Cache),
}

impl SharedCacheChoice {
    /// `undefined`/`true`: automatic; `false`: off; an object: that cache.
    pub fn from_option(value: &JsValue) -> Self {
        if value.as_bool() == Some(false) {
            Self::Off
        } else if value.is_object() {
            Self::Given(value.clone().unchecked_into())
        } else {
            Self::Automatic
        }
    }

    fn resolve(&self) -> Option<Cache> {
        match self {
            Self::Off => None,
            Self::Given(cache) => Some(cache.clone()),
            Self::Automatic => {
                let caches = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
                let default = Reflect::get(&caches, &"default".into()).ok()?;
                let usable = Reflect::get(&default, &"match".into()).is_ok_and(|m| m.is_function());
                usable.then(|| default.unchecked_into())
            }
        }
    }
}

/// The shared cache of one call: the client's choice, looked up at its first use.
pub struct CallCache {
    choice: Rc<SharedCacheChoice>,
    resolved: OnceCell<Option<Cache>>,
}

impl CallCache {
    pub fn new(choice: Rc<SharedCacheChoice>) -> Self {
        Self {
            choice,
            resolved: OnceCell::new(),
        }
    }

    fn get(&self) -> Option<&Cache> {
        self.resolved.get_or_init(|| self.choice.resolve()).as_ref()
    }
}

/// `value` settled within [`CACHE_TIMEOUT_MS`], or an error.
async fn bounded(value: &JsValue) -> Result<JsValue, JsValue> {
    let deadline = Deadline::with_timeout(CACHE_TIMEOUT_MS);
    deadline.race(value).await
}

impl SharedCache for WebPlatform {
    fn has_shared_cache(&self) -> bool {
        self.shared_cache.get().is_some()
    }

    async fn shared_get(&self, key: &str) -> Option<String> {
        let cache = self.shared_cache.get()?;
        let found = bounded(&cache.unchecked_ref::<CatchingCache>().match_key(key).ok()?)
            .await
            .ok()?;
        if !found.is_object() {
            return None;
        }
        let text = call_method(&found, "text").ok()?;
        bounded(&text).await.ok()?.as_string()
    }

    async fn shared_put(&self, key: &str, value: String, max_age_secs: u32) {
        let Some(cache) = self.shared_cache.get() else {
            return;
        };
        let headers = Object::new();
        let max_age = ["public, max-age=", itoa::Buffer::new().format(max_age_secs)].concat();
        let _ = Reflect::set(&headers, &"cache-control".into(), &max_age.into());
        let _ = Reflect::set(&headers, &"content-type".into(), &"text/plain".into());
        let init = ResponseInit::new();
        init.set_headers(&headers);
        let Ok(response) = Response::new_with_opt_str_and_init(Some(&value), &init) else {
            return;
        };
        if let Ok(pending) = cache
            .unchecked_ref::<CatchingCache>()
            .put_key(key, &response)
        {
            let _ = bounded(&pending).await;
        }
    }
}
