//! `cargo verify-provenance trust-root update`: refresh the trust roots
//! through TUF into the cache.

use std::io::Write;

use clap::{Args, Subcommand};
use miette::Result;

use super::{GlobalOptions, RunArgs};
use crate::exit;
use crate::http::Http;
use crate::trust::tuf::{refresh, TufRepository, REFRESHED_INSTANCES};
use crate::trust::{Instance, TrustRootError};

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

/// Run `trust-root update`: exit code 0 when every root was refreshed, 2 otherwise.
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
            Err(error) => {
                failed = true;
                super::say_diagnostic(&error);
            }
        }
    }
    Ok(if failed { exit::ERROR } else { exit::PASS })
}
