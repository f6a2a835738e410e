//! `externaldata`: a table read from files that the catalog allows. The engine never opens a
//! network connection: URIs of other schemes, and the plugins that send requests, are refused.

use crate::binder::Binder;
use crate::catalog::ExternalFile;
use crate::literal::resolve_type;
use crate::tab::Tab;
use datafusion::common::ScalarValue;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::LogicalPlanBuilder;
use kql_functions::Typed;
use kql_syntax::Span;
use kql_syntax::ast::{ColumnDecl, Expr, ExprKind, OpParam};
use kql_syntax::diagnostic::{Diagnostic, codes};

/// `evaluate` plugins that query a remote service.
const NETWORK_PLUGINS: &[&str] = &[
    "http_request",
    "http_request_post",
    "sql_request",
    "mysql_request",
    "postgresql_request",
    "cosmosdb_sql_request",
    "azure_digital_twins_query_request",
    "ai_chat_completion",
    "ai_chat_completion_prompt",
    "ai_embed_text",
];

/// The refusal of a plugin that would send a request over the network.
pub(super) fn network_plugin(plugin: &Expr) -> Option<Diagnostic> {
    let ExprKind::Call { name, .. } = &plugin.kind else {
        return None;
    };
    NETWORK_PLUGINS.contains(&name.name.as_str()).then(|| {
        Diagnostic::error(
            codes::REFUSED,
            format!(
                "the '{}' plugin sends requests over the network; kql never opens a network connection",
                name.name
            ),
            name.span,
        )
    })
}

impl Binder<'_> {
    pub(super) fn external_data(
        &mut self,
        columns: &[ColumnDecl],
        uris: &[Expr],
        properties: &[OpParam],
        span: Span,
    ) -> Result<Tab, Diagnostic> {
        let mut declared = Vec::new();
        for c in columns {
            declared.push((c.name.name.clone(), resolve_type(&c.ty)?));
        }
        let mut format = None;
        let mut ignore_first_record = false;
        for p in properties {
            let value = self.constant_text(&p.value)?;
            match p.name.name.to_ascii_lowercase().as_str() {
                "format" => format = Some(value.to_ascii_lowercase()),
                "ignorefirstrecord" => ignore_first_record = value.eq_ignore_ascii_case("true"),
                // Other ingestion properties do not change what is read.
                _ => {}
            }
        }
        let mut plan: Option<LogicalPlanBuilder> = None;
        for uri in uris {
            let text = self.constant_text(uri)?;
            let file = ExternalFile {
                uri: &text,
                columns: &declared,
                format: format.as_deref(),
                ignore_first_record,
            };
            let provider = self
                .catalog
                .external_file(&file)
                .map_err(|m| Diagnostic::error(codes::REFUSED, m, uri.span))?;
            let scan = LogicalPlanBuilder::scan("externaldata", provider_as_source(provider), None)
                .and_then(|b| b.build())
                .map_err(crate::df_err(span))?;
            // The declared columns come first; a file's other fields are not part of it.
            let raw = Tab::from_plan(scan);
            let cols = declared
                .iter()
                .enumerate()
                .map(|(i, (name, ty))| (Typed::new(raw.col(i), *ty), name.clone()))
                .collect();
            let one = raw.project(cols, span)?.plan;
            plan = Some(match plan {
                None => LogicalPlanBuilder::from(one),
                Some(b) => b.union(one).map_err(crate::df_err(span))?,
            });
        }
        let plan = plan
            .ok_or_else(|| Diagnostic::error(codes::SYNTAX, "externaldata needs a file", span))?
            .build()
            .map_err(crate::df_err(span))?;
        Ok(Tab::new(
            plan,
            declared.into_iter().map(|(_, t)| t).collect(),
        ))
    }

    /// A constant string or bool, as text.
    pub(super) fn constant_text(&mut self, e: &Expr) -> Result<String, Diagnostic> {
        let v = self.scalar(e, None)?;
        match self.constant(&v, e.span)? {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => Ok(s),
            ScalarValue::Utf8View(Some(s)) => Ok(s),
            ScalarValue::Boolean(Some(b)) => Ok(b.to_string()),
            _ => Err(Diagnostic::error(
                codes::TYPE_MISMATCH,
                "expected a constant string",
                e.span,
            )),
        }
    }
}
