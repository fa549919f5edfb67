//! How containerd derives a node's cpu variant from `/proc/cpuinfo` and `uname`, as pure
//! functions over their text, so a simulated node's default platform is the real one.

use thiserror::Error;

use super::go_to_lower;

/// Why the cpu variant could not be derived; containerd logs these and uses an empty
/// variant instead (`cpuVariant()` in containerd/platforms `cpuinfo.go`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
pub enum CpuVariantError {
    /// `getCPUVariantFromArch`: the `uname` machine name is not an ARM one.
    #[error("getCPUVariantFromArch invalid arch: {machine}, invalid argument")]
    InvalidMachine {
        /// The lower-cased machine name.
        machine: String,
    },
    /// `getArmCPUVariant`: `/proc/cpuinfo` has no `Cpu architecture` line and the machine
    /// name is not an ARM one.
    #[error(
        "failure getting CPU variant from machine architecture: getCPUVariantFromArch invalid arch: {machine}, invalid argument"
    )]
    NoArmVariant {
        /// The lower-cased machine name.
        machine: String,
    },
    /// `/proc/cpuinfo` has no `flags` line (amd64 level detection).
    #[error("failure getting CPU flags: getCPUInfo for pattern flags: not found")]
    NoFlags,
}

/// Go's `getCPUInfo(pattern)` over the text of `/proc/cpuinfo`: the first line whose part
/// before the first `:` equals `field` ignoring ASCII case and surrounding space, giving
/// the trimmed part between the first and second `:`.
pub fn cpuinfo_field<'a>(cpuinfo: &'a str, field: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|line| {
        let mut pieces = line.split(':');
        let key = pieces.next()?;
        let value = pieces.next()?;
        key.trim()
            .eq_ignore_ascii_case(field)
            .then_some(value.trim())
    })
}

/// Go's `getCPUVariantFromArch(machine)`: the variant digit from a `uname` machine name
/// (`aarch64` is `8`, `armv7l` is `7`, `armv9` is `unknown`). Go slices the name without
/// a length check and would panic on names shorter than four bytes; pullsim returns the
/// error instead.
pub fn cpu_variant_from_machine(machine: &str) -> Result<&'static str, CpuVariantError> {
    let machine = go_to_lower(machine);
    if machine == "aarch64" {
        return Ok("8");
    }
    let bytes = machine.as_bytes();
    if bytes.get(0..4) == Some(b"armv".as_slice()) && bytes.len() >= 5 {
        return Ok(match bytes.get(3..5) {
            Some(b"v8") => "8",
            Some(b"v7") => "7",
            Some(b"v6") => "6",
            Some(b"v5") => "5",
            Some(b"v4") => "4",
            Some(b"v3") => "3",
            _ => "unknown",
        });
    }
    Err(CpuVariantError::InvalidMachine { machine })
}

/// Go's `getArmCPUVariant`: the `Cpu architecture` value of `/proc/cpuinfo`, or failing
/// that the `uname` machine name, mapped to a variant: `8`/`aarch64` to `v8`; `7`, `7m`,
/// `?(12)` ... `?(17)` to `v7`; `6`/`6tej` to `v6`; `5`, `5t`, `5te`, `5tej` to `v5`;
/// `4`/`4t` to `v4`; `3` to `v3`; anything else to `unknown`.
///
/// The Raspberry Pi quirk: a 32-bit arm containerd (`arm32_binary`) that reads `7` while
/// the `model name` starts with `ARMv6-compatible` (any case) reports `v6`.
pub fn arm_cpu_variant(
    cpu_architecture: Option<&str>,
    model_name: Option<&str>,
    machine: &str,
    arm32_binary: bool,
) -> Result<String, CpuVariantError> {
    let mut variant = match cpu_architecture {
        Some(value) => value.to_owned(),
        None => match cpu_variant_from_machine(machine) {
            Ok(variant) => variant.to_owned(),
            Err(
                CpuVariantError::InvalidMachine { machine }
                | CpuVariantError::NoArmVariant { machine },
            ) => {
                return Err(CpuVariantError::NoArmVariant { machine });
            }
            Err(other) => return Err(other),
        },
    };
    if arm32_binary && variant == "7" {
        let armv6 =
            model_name.is_some_and(|model| go_to_lower(model).starts_with("armv6-compatible"));
        if armv6 {
            variant = "6".to_owned();
        }
    }
    let mapped = match go_to_lower(&variant).as_str() {
        "8" | "aarch64" => "v8",
        "7" | "7m" | "?(12)" | "?(13)" | "?(14)" | "?(15)" | "?(16)" | "?(17)" => "v7",
        "6" | "6tej" => "v6",
        "5" | "5t" | "5te" | "5tej" => "v5",
        "4" | "4t" => "v4",
        "3" => "v3",
        _ => "unknown",
    };
    Ok(mapped.to_owned())
}

/// [`arm_cpu_variant`] reading `Cpu architecture` and `model name` from the text of
/// `/proc/cpuinfo`.
pub fn arm_cpu_variant_from_cpuinfo(
    cpuinfo: &str,
    machine: &str,
    arm32_binary: bool,
) -> Result<String, CpuVariantError> {
    arm_cpu_variant(
        cpuinfo_field(cpuinfo, "Cpu architecture"),
        cpuinfo_field(cpuinfo, "model name"),
        machine,
        arm32_binary,
    )
}

/// Go's `getAmd64MicroArchLevel` over the text of `/proc/cpuinfo`: `v1` to `v4` from the
/// `flags` line, each level requiring the previous one. Only the newest containerd/platforms
/// sets an amd64 default variant this way (the first release doing so is unconfirmed);
/// v0.2.x leaves amd64 without a variant.
pub fn amd64_micro_arch_level(cpuinfo: &str) -> Result<&'static str, CpuVariantError> {
    let flags = cpuinfo_field(cpuinfo, "flags").ok_or(CpuVariantError::NoFlags)?;
    let present: Vec<&str> = flags.split(' ').collect();
    let has_all = |wanted: &[&str]| wanted.iter().all(|flag| present.contains(flag));
    let level2 = has_all(&[
        "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
    ]);
    let level3 = level2
        && has_all(&[
            "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
        ]);
    let level4 = level3 && has_all(&["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]);
    Ok(match (level2, level3, level4) {
        (_, _, true) => "v4",
        (_, true, _) => "v3",
        (true, _, _) => "v2",
        _ => "v1",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_like_cpuinfo_linux_test() {
        // containerd/platforms cpuinfo_linux_test.go `TestGetCPUVariantFromArch`, then the
        // short names Go would panic on.
        let rows: &[(&str, Option<&str>)] = &[
            ("aarch64", Some("8")),
            ("Armv8", Some("8")),
            ("armv7", Some("7")),
            ("armv6", Some("6")),
            ("armv5", Some("5")),
            ("armv4", Some("4")),
            ("armv3", Some("3")),
            ("armv9", Some("unknown")),
            ("armxxxx", None),
            ("armv", None),
            ("armv7l", Some("7")),
            ("x86_64", None),
            ("arm", None),
        ];
        for &(machine, want) in rows {
            assert_eq!(cpu_variant_from_machine(machine).ok(), want, "{machine}");
        }
        assert_eq!(
            cpu_variant_from_machine("X86_64").map_err(|e| e.to_string()),
            Err("getCPUVariantFromArch invalid arch: x86_64, invalid argument".to_owned())
        );
        assert_eq!(
            arm_cpu_variant(None, None, "x86_64", false).map_err(|e| e.to_string()),
            Err("failure getting CPU variant from machine architecture: getCPUVariantFromArch invalid arch: x86_64, invalid argument".to_owned())
        );
    }

    type VariantRow<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        bool,
        Option<&'a str>,
    );

    #[test]
    fn cpu_architecture_values_map_to_variants() {
        let rows: &[VariantRow<'_>] = &[
            (Some("8"), None, "aarch64", false, Some("v8")),
            (Some("AArch64"), None, "aarch64", false, Some("v8")),
            (Some("7"), None, "armv7l", true, Some("v7")),
            (Some("7M"), None, "armv7l", true, Some("v7")),
            (Some("?(12)"), None, "armv7l", true, Some("v7")),
            (Some("?(17)"), None, "armv7l", true, Some("v7")),
            (Some("?(18)"), None, "armv7l", true, Some("unknown")),
            (Some("6TEJ"), None, "armv6l", true, Some("v6")),
            (Some("5tej"), None, "armv5tel", true, Some("v5")),
            (Some("5te"), None, "armv5tel", true, Some("v5")),
            (Some("4t"), None, "armv4t", true, Some("v4")),
            (Some("3"), None, "armv3", true, Some("v3")),
            (Some(""), None, "armv7l", true, Some("unknown")),
            // No cpuinfo line: fall back to uname's machine name.
            (None, None, "armv7l", true, Some("v7")),
            (None, None, "aarch64", false, Some("v8")),
            (None, None, "x86_64", false, None),
            // The Raspberry Pi ARMv6 quirk applies to 32-bit arm binaries only.
            (
                Some("7"),
                Some("ARMv6-compatible processor rev 7 (v6l)"),
                "armv6l",
                true,
                Some("v6"),
            ),
            (
                Some("7"),
                Some("ARMv6-compatible processor rev 7 (v6l)"),
                "armv6l",
                false,
                Some("v7"),
            ),
            (
                Some("7"),
                Some("ARMv7 Processor rev 4 (v7l)"),
                "armv7l",
                true,
                Some("v7"),
            ),
        ];
        for &(cpu_architecture, model, machine, arm32, want) in rows {
            let got = arm_cpu_variant(cpu_architecture, model, machine, arm32);
            assert_eq!(
                got.ok().as_deref(),
                want,
                "{cpu_architecture:?} {model:?} {machine} arm32={arm32}"
            );
        }
    }

    const RPI_CPUINFO: &str = "processor\t: 0\nmodel name\t: ARMv6-compatible processor rev 7 (v6l)\nBogoMIPS\t: 697.95\nFeatures\t: half thumb fastmult vfp edsp java tls\nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\n";

    #[test]
    fn reads_fields_from_cpuinfo_text() {
        assert_eq!(cpuinfo_field(RPI_CPUINFO, "Cpu architecture"), Some("7"));
        assert_eq!(
            cpuinfo_field(RPI_CPUINFO, "model name"),
            Some("ARMv6-compatible processor rev 7 (v6l)")
        );
        assert_eq!(cpuinfo_field(RPI_CPUINFO, "cpu"), None);
        assert_eq!(cpuinfo_field("a: b: c\n", "a"), Some("b"));
        assert_eq!(
            arm_cpu_variant_from_cpuinfo(RPI_CPUINFO, "armv6l", true)
                .ok()
                .as_deref(),
            Some("v6")
        );
        assert_eq!(
            arm_cpu_variant_from_cpuinfo("", "aarch64", false)
                .ok()
                .as_deref(),
            Some("v8")
        );
    }

    #[test]
    fn amd64_levels_from_flags() {
        let v2 = "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3";
        let v3 = format!("{v2} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave");
        let v4 = format!("{v3} avx512f avx512bw avx512cd avx512dq avx512vl");
        let rows = [
            ("flags\t\t: fpu vme sse2".to_owned(), Ok("v1")),
            (format!("flags\t\t: {v2}"), Ok("v2")),
            (format!("flags\t\t: {v3}"), Ok("v3")),
            (format!("flags\t\t: {v4}"), Ok("v4")),
            // Each level needs the one below it.
            (
                "flags\t\t: avx avx2 bmi1 bmi2 f16c fma abm movbe xsave".to_owned(),
                Ok("v1"),
            ),
            ("processor: 0".to_owned(), Err(CpuVariantError::NoFlags)),
        ];
        for (cpuinfo, want) in rows {
            assert_eq!(amd64_micro_arch_level(&cpuinfo), want, "{cpuinfo}");
        }
    }
}
