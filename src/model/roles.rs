//! TEMP stub
use crate::profile::Role;
pub struct RoleRules;
impl RoleRules {
    pub fn builtin() -> RoleRules {
        RoleRules
    }
    pub fn with_user_rules(_r: &[crate::config::RoleRule]) -> RoleRules {
        RoleRules
    }
    pub fn classify(&self, name: &str, _argv: &[String]) -> Role {
        match name {
            "sh" | "bash" | "dash" => Role::Shell,
            "cc1" | "gcc" => Role::Compiler,
            "make" => Role::BuildTool,
            _ => Role::Other,
        }
    }
}
