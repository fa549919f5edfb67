//! Account passwords that rotate, as short-lived registry tokens do (an ECR authorization
//! token is valid for 12 hours; a credential-provider plugin hands out the current one).
//!
//! An account with a [`PasswordRotation`] has a new password every `every`, counted from
//! time zero: in period `n` (the whole periods elapsed, `now / every`) its password is
//! `<password>-<n>`, where `<password>` is the account's password as the catalog gives it.
//! The registry accepts the current password, and the one of the period before while
//! the new period is younger than `grace`; any other password is refused with the same
//! 401 as a wrong password. Everything is a pure function of the request's `SimTime`.

use std::time::Duration;

use pullsim_model::SimTime;

/// How an account's password rotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordRotation {
    /// How long each password is current (more than zero).
    pub every: Duration,
    /// How long the previous password is still accepted after a rotation.
    pub grace: Duration,
}

impl PasswordRotation {
    /// The period `now` falls in: whole `every`s since time zero.
    pub fn period(&self, now: SimTime) -> u64 {
        let every = self.every.as_nanos().max(1);
        (now.since_epoch().as_nanos() / every) as u64
    }

    /// The password of period `n`, for an account whose catalog password is `base`.
    pub fn password(base: &str, period: u64) -> String {
        format!("{base}-{period}")
    }

    /// The password current at `now`.
    pub fn current(&self, base: &str, now: SimTime) -> String {
        Self::password(base, self.period(now))
    }

    /// When period `n` begins.
    pub fn starts(&self, period: u64) -> SimTime {
        let nanos = self.every.as_nanos().saturating_mul(u128::from(period));
        SimTime::from_duration(Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        ))
    }

    /// Whether `password` is accepted at `now`: the current one, or the previous one
    /// while the current period is younger than `grace`.
    pub fn accepts(&self, base: &str, password: &str, now: SimTime) -> bool {
        let period = self.period(now);
        if password == Self::password(base, period) {
            return true;
        }
        period > 0
            && now.saturating_since(self.starts(period)) < self.grace
            && password == Self::password(base, period - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SimTime {
        SimTime::from_secs(seconds)
    }

    const HOURLY: PasswordRotation = PasswordRotation {
        every: Duration::from_secs(3600),
        grace: Duration::from_secs(60),
    };

    #[test]
    fn each_period_has_its_own_password() {
        assert_eq!(HOURLY.current("tok", at(0)), "tok-0");
        assert_eq!(HOURLY.current("tok", at(3599)), "tok-0");
        assert_eq!(HOURLY.current("tok", at(3600)), "tok-1");
        assert_eq!(HOURLY.starts(2), at(7200));
    }

    #[test]
    fn the_old_password_is_refused_after_the_grace() {
        assert!(HOURLY.accepts("tok", "tok-0", at(3599)));
        assert!(HOURLY.accepts("tok", "tok-0", at(3659)), "inside the grace");
        assert!(!HOURLY.accepts("tok", "tok-0", at(3660)), "grace is over");
        assert!(HOURLY.accepts("tok", "tok-1", at(3660)));
        assert!(!HOURLY.accepts("tok", "tok-2", at(3660)), "not yet current");
        assert!(
            !HOURLY.accepts("tok", "tok", at(0)),
            "the base is never a password"
        );
        let strict = PasswordRotation {
            grace: Duration::ZERO,
            ..HOURLY
        };
        assert!(!strict.accepts("tok", "tok-0", at(3600)));
    }
}
