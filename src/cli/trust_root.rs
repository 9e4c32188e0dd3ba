//! `cargo verify-provenance trust-root update`: refresh the trust roots
//! through TUF into the cache.

use std::io::Write;

use clap::{Args, Subcommand};
use miette::Result;

use super::{GlobalOptions, RunArgs};
use crate::exit;
use crate::http::Http;
use crate::trust::tuf::{refresh, TufRepository, REFRESHED_INSTANCES};
use crate::trust::{Instance, RootOrigin, TrustRootError};

/// `cargo verify-provenance trust-root …`.
#[derive(Args, Debug)]
pub struct TrustRootArgs {
    #[command(subcommand)]
    pub command: TrustRootCommand,
}

#[derive(Subcommand, Debug)]
pub enum TrustRootCommand {
    /// Refresh the public-good and GitHub trust roots through TUF into the cache.
    Update,
}

/// Run `trust-root update`: exit code 0 when every root was refreshed, or
/// could not be but the one in use is valid and unexpired (a warning says
/// so); 2 when no valid root remains for an instance.
pub fn run(global: &GlobalOptions, args: &TrustRootArgs) -> Result<i32> {
    let TrustRootCommand::Update = args.command;
    // Only the cache, the clock and the network settings, all global.
    let config = RunArgs::default().run_config(global);
    if config.offline {
        return Err(miette::miette!(
            code = "offline",
            help = "run it again without --offline, --frozen or CARGO_NET_OFFLINE=true",
            "`trust-root update` needs the network, and this run is offline"
        ));
    }
    let http = Http::new(config.http.clone())?;
    let cache = config.open_cache()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| TrustRootError::Tuf {
            instance: Instance::PublicGood.name().to_string(),
            reason: e.to_string(),
        })?;
    let now = config.now;
    let mut failed = false;
    for instance in REFRESHED_INSTANCES {
        let repository = TufRepository::for_instance(instance);
        match runtime.block_on(refresh(&http, &cache, instance, &repository, now)) {
            Ok(root) => {
                if !global.quiet {
                    let _ = writeln!(
                        super::text_stdout(),
                        "updated the {} trust root from {} ({} certificate authorities, {} transparency logs, {} timestamp authorities)",
                        instance.name(),
                        repository.url,
                        root.trusted_root().certificate_authorities.len(),
                        root.trusted_root().tlogs.len(),
                        root.trusted_root().timestamp_authorities.len(),
                    );
                }
            }
            Err(error) => match root_in_use(&cache, instance, now) {
                Some(described) => super::say_warning(
                    "trust-root-not-refreshed",
                    &format!(
                        "{error}; the {} trust root in use ({described}) is valid and unexpired, so runs verify as before: refresh it again later",
                        instance.name()
                    ),
                ),
                None => {
                    failed = true;
                    super::say_diagnostic(&error);
                }
            },
        }
    }
    Ok(if failed { exit::ERROR } else { exit::PASS })
}

/// The root of `instance` a run would use now (the cached TUF copy that
/// verifies, else the built-in one), described, when it is valid and
/// unexpired; `None` when no such root remains.
fn root_in_use(
    cache: &crate::cache::Cache,
    instance: Instance,
    now: jiff::Timestamp,
) -> Option<String> {
    let in_use =
        crate::trust::tuf::roots_for_run(Some(cache), now, jiff::SignedDuration::MAX).ok()?;
    let root = in_use
        .roots
        .into_iter()
        .find(|root| root.name == instance.name())?;
    let described = match &root.origin {
        RootOrigin::Tuf { fetched, .. } => match jiff::Timestamp::from_second(*fetched) {
            Ok(at) => format!("the copy refreshed at {at}"),
            Err(_) => "the cached copy".to_string(),
        },
        _ => "the one built into this binary".to_string(),
    };
    root.is_current(now).then_some(described)
}
