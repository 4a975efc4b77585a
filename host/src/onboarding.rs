//! Adding users (SPEC B1, B2, C3): one or many new users, some as unmanaged-device users, some
//! invited at once, all or none. The slow part, argon2 of the passwords and of the invitations'
//! PINs and composing the messages, is done first, outside any transaction; one short
//! transaction then writes the users, their PINs, messages and history. Other requests, of this
//! tenant or any other, never wait behind a bulk import's hashing.

use crate::admins::Permission;
use crate::error::Error;
use crate::history::Actor;
use crate::invitations::{self, Invitee, Sender};
use crate::services::AsAdmin;
use crate::store::Store;
use crate::tenants::TenantId;
use crate::unmanaged;
use crate::users::{self, Naming, NewUser, User};

/// One user to add.
#[derive(Debug, Clone)]
pub struct Addition {
    pub user: NewUser,
    /// As an unmanaged-device (MAM-only) user; needs the feature on.
    pub unmanaged: bool,
    /// Send the invitation e-mail in the same transaction.
    pub invite: bool,
}

/// How many times the additions are prepared again when the invitations' ingredients (the
/// tenant's settings or registration key) change between preparing and writing them.
const ATTEMPTS: usize = 3;

/// Adds `additions` (one, errors naming the fields alone, or many, naming `users[i]`).
pub async fn add(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    sender: Sender<'_>,
    additions: Vec<Addition>,
    naming: Naming,
) -> Result<Vec<User>, Error> {
    let flags: Vec<(bool, bool)> = additions.iter().map(|a| (a.unmanaged, a.invite)).collect();
    let new: Vec<NewUser> = additions.into_iter().map(|a| a.user).collect();
    let prepared = match naming {
        Naming::One if new.len() == 1 => {
            vec![users::prepare(new.into_iter().next().expect("one user")).await?]
        }
        _ => users::prepare_all(new).await?,
    };
    let prepared: Vec<users::Prepared> = prepared
        .into_iter()
        .zip(&flags)
        .map(|(user, (unmanaged, _))| user.unmanaged(*unmanaged))
        .collect();
    let invitees: Vec<Invitee> = prepared
        .iter()
        .zip(&flags)
        .filter(|(_, (_, invite))| *invite)
        .map(|(user, _)| Invitee::from(user))
        .collect();
    for _ in 0..ATTEMPTS {
        let letters = if invitees.is_empty() {
            None
        } else {
            Some(invitations::prepare(store, tenant, sender, invitees.clone()).await?)
        };
        let mut scoped = store.scoped(tenant).await?;
        if prepared.iter().any(|u| u.unmanaged) {
            scoped.lock_tenant().await?;
            unmanaged::require_on(&mut scoped).await?;
            let (positions, emails): (Vec<usize>, Vec<String>) = prepared
                .iter()
                .enumerate()
                .filter(|(_, u)| u.unmanaged)
                .map(|(i, u)| (i, u.email.clone()))
                .unzip();
            unmanaged::refuse_administrators(&mut scoped, &emails, |k| match naming {
                Naming::One => String::new(),
                Naming::Bulk => format!("users[{}]: ", positions[k]),
            })
            .await?;
        }
        let created = users::insert_all(&mut scoped, actor, prepared.clone(), naming).await?;
        if let Some(letters) = letters {
            if invitations::write(&mut scoped, actor, sender, letters, false)
                .await?
                .is_none()
            {
                continue; // dropped without a commit: nothing was written
            }
        }
        scoped.commit().await?;
        return Ok(created);
    }
    Err(invitations::changed_meanwhile())
}

impl AsAdmin<'_> {
    /// Adds users (one, `Naming::One`, or a list, `Naming::Bulk`), labels and invites those
    /// asked for; see [`add`].
    pub async fn add_users(
        &self,
        additions: Vec<Addition>,
        naming: Naming,
    ) -> Result<Vec<User>, Error> {
        self.require(Permission::ManageUsers)?;
        add(
            self.services.store(),
            self.tenant(),
            &self.actor(),
            self.invitation_sender(),
            additions,
            naming,
        )
        .await
    }
}
