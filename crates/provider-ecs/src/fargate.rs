//! The task sizes Fargate runs (CPU units and MiB), from the table in
//! ../shared/reference/transparent-trust-ecs-fargate.txt, which follows
//! AWS's: a pair outside it is refused by RegisterTaskDefinition on AWS
//! (moto accepts it), so cairn refuses it offline.

/// The memory sizes (MiB) Fargate allows with `cpu` units, or `None` for
/// a CPU size Fargate does not have.
fn memory_for(cpu: u32) -> Option<Vec<u32>> {
    let gib = |from: u32, to: u32| (from..=to).map(|g| g * 1024).collect::<Vec<_>>();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4),
        1024 => gib(2, 8),
        2048 => gib(4, 16),
        4096 => gib(8, 30),
        _ => return None,
    })
}

/// What is wrong with a Fargate task size, if anything.
pub fn size_problem(cpu: &str, memory: &str) -> Option<String> {
    let Ok(c) = cpu.trim().parse::<u32>() else {
        return Some(format!(
            "cpu `{cpu}` is not a number of CPU units (256, 512, 1024, 2048 or 4096)"
        ));
    };
    let Some(allowed) = memory_for(c) else {
        return Some(format!(
            "Fargate has no task size with cpu {c}: use 256, 512, 1024, 2048 or 4096"
        ));
    };
    let Ok(m) = memory.trim().parse::<u32>() else {
        return Some(format!("memory `{memory}` is not a number of MiB"));
    };
    if allowed.contains(&m) {
        return None;
    }
    let listed = match c {
        256 | 512 | 1024 => allowed
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        _ => format!(
            "{} to {} in steps of 1024",
            allowed[0],
            allowed[allowed.len() - 1]
        ),
    };
    Some(format!(
        "Fargate runs cpu {c} with memory {listed}, not {m}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_sizes_are_valid() {
        for (cpu, memory) in [
            ("256", "512"),
            ("512", "1024"),
            ("1024", "2048"),
            ("2048", "16384"),
            ("4096", "30720"),
        ] {
            assert_eq!(size_problem(cpu, memory), None, "{cpu}/{memory}");
        }
    }

    #[test]
    fn pairs_outside_the_table_are_named() {
        assert!(size_problem("256", "4096")
            .unwrap()
            .contains("512, 1024, 2048"));
        assert!(size_problem("2048", "3072")
            .unwrap()
            .contains("4096 to 16384 in steps of 1024"));
        assert!(size_problem("300", "512")
            .unwrap()
            .contains("no task size with cpu 300"));
        assert!(size_problem("1 vCPU", "512").is_some());
    }
}
