//! Checks across resources that a provider makes offline, before anything
//! is applied (a subnet outside its VPC, two listener rules with one
//! priority): the provider registers a [`StackCheck`]; the engine shows it
//! each module's resources as a [`ModuleView`] and turns its [`Finding`]s
//! into located diagnostics. The engine knows nothing of what is checked.

use std::collections::BTreeMap;

use crate::Value;

/// One module's resource blocks as a check sees them. Blocks repeated by
/// `count`/`for_each` are left out: their per-instance values are not
/// known before the plan.
#[derive(Debug, Default)]
pub struct ModuleView {
    pub blocks: Vec<BlockView>,
}

#[derive(Debug, Default)]
pub struct BlockView {
    /// The block's address (`aws_subnet.a`, `module.net.aws_vpc.main`).
    pub address: String,
    pub type_name: String,
    /// A managed resource (not a data source).
    pub managed: bool,
    /// The region of the block's provider configuration, if set.
    pub region: Option<String>,
    /// Attributes whose value is a known, non-sensitive string, number or
    /// bool now, as text (`10`, `true`).
    pub known: BTreeMap<String, String>,
    /// Attributes whose value (lists and nested blocks too) is known now,
    /// at least in part (parts known later are `Value::Unknown`), and not
    /// sensitive.
    pub values: BTreeMap<String, Value>,
    /// Attributes that refer to another block of the module as a whole
    /// (`vpc_id = "${aws_vpc.main.id}"`): that block's index.
    pub refs: BTreeMap<String, usize>,
}

impl ModuleView {
    /// The managed blocks of one type, with their indexes.
    pub fn managed<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = (usize, &'a BlockView)> + 'a {
        self.blocks
            .iter()
            .enumerate()
            .filter(move |(_, b)| b.managed && b.type_name == type_name)
    }

    /// The managed block `block`'s attribute `attr` refers to, if of
    /// `type_name`.
    pub fn target(
        &self,
        block: &BlockView,
        attr: &str,
        type_name: &str,
    ) -> Option<(usize, &BlockView)> {
        let i = *block.refs.get(attr)?;
        self.blocks
            .get(i)
            .filter(|t| t.managed && t.type_name == type_name)
            .map(|t| (i, t))
    }
}

/// A problem found, reported at a block's attribute (or the block when the
/// attribute is not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub block: usize,
    pub attribute: String,
    pub message: String,
    pub hint: Option<String>,
    /// Another place that explains it: (block, attribute, text).
    pub note: Option<(usize, String, String)>,
}

impl Finding {
    pub fn new(block: usize, attribute: &str, message: impl Into<String>) -> Self {
        Finding {
            block,
            attribute: attribute.to_string(),
            message: message.into(),
            hint: None,
            note: None,
        }
    }
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
    pub fn note(mut self, block: usize, attribute: &str, text: impl Into<String>) -> Self {
        self.note = Some((block, attribute.to_string(), text.into()));
        self
    }
}

pub trait StackCheck: Send + Sync {
    fn check(&self, module: &ModuleView) -> Vec<Finding>;
}
