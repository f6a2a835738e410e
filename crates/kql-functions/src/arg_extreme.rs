//! The row behind `arg_max`, `arg_min` and `take_any`: the aggregate `kql_arg_max(key, row)`
//! (and `kql_arg_min`, `kql_take_any`) keeps, per group, where the input row with the
//! extreme key is (nulls count as the least extreme) and gathers the winning rows once,
//! when the groups are emitted, instead of copying values at every update. Ties keep the
//! first row seen. The inputs it points into are kept until then, and compacted to the
//! winners when they outgrow the groups.

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, new_null_array};
use datafusion::arrow::compute::kernels::boolean::not;
use datafusion::arrow::compute::{interleave, nullif, prep_null_mask_filter};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::utils::memory::RecordBatchMemoryCounter;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::sync::{Arc, LazyLock};

/// Which row of the group wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extreme {
    /// The greatest key.
    Max,
    /// The least key.
    Min,
    /// The first row (the key is not read).
    Any,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArgExtreme {
    extreme: Extreme,
    signature: Signature,
}

/// The aggregate for `extreme`: `(key, row) -> row`.
pub fn arg_extreme(extreme: Extreme) -> Arc<AggregateUDF> {
    static UDAFS: LazyLock<[Arc<AggregateUDF>; 3]> = LazyLock::new(|| {
        [Extreme::Max, Extreme::Min, Extreme::Any].map(|extreme| {
            Arc::new(AggregateUDF::from(ArgExtreme {
                extreme,
                signature: Signature::any(2, Volatility::Immutable),
            }))
        })
    });
    let i = match extreme {
        Extreme::Max => 0,
        Extreme::Min => 1,
        Extreme::Any => 2,
    };
    UDAFS[i].clone()
}

/// All three aggregates.
pub fn udafs() -> Vec<Arc<AggregateUDF>> {
    [Extreme::Max, Extreme::Min, Extreme::Any]
        .map(arg_extreme)
        .to_vec()
}

impl AggregateUDFImpl for ArgExtreme {
    fn name(&self) -> &str {
        match self.extreme {
            Extreme::Max => "kql_arg_max",
            Extreme::Min => "kql_arg_min",
            Extreme::Any => "kql_take_any",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.get(1).cloned().unwrap_or(DataType::Null))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let ty = |i: usize| {
            args.input_fields
                .get(i)
                .map_or(DataType::Null, |f| f.data_type().clone())
        };
        Ok(vec![
            Arc::new(Field::new(format!("{}[key]", args.name), ty(0), true)),
            Arc::new(Field::new(format!("{}[row]", args.name), ty(1), true)),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(self.groups(&args)?)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }
}

impl ArgExtreme {
    fn groups(&self, args: &AccumulatorArgs) -> Result<Groups> {
        let key_type = args.exprs[0].data_type(args.schema)?;
        Groups::new(
            self.extreme,
            key_type,
            args.return_field.data_type().clone(),
        )
    }
}

struct Groups {
    extreme: Extreme,
    /// Keys encoded so that the winner has the least bytes.
    converter: RowConverter,
    key_type: DataType,
    row_type: DataType,
    /// The inputs the winners point into, and how many rows they hold.
    keys: Vec<ArrayRef>,
    rows: Vec<ArrayRef>,
    retained: usize,
    /// The memory of those inputs, each buffer counted once: the inputs are often slices
    /// of one batch, or share its string data, and counting each input's buffers whole
    /// made a few megabytes look like hundreds to the memory pool.
    held: RecordBatchMemoryCounter,
    /// Per group: the winner's input and row, and its encoded key.
    best: Vec<Option<(usize, usize)>>,
    best_key: Vec<Vec<u8>>,
}

impl Groups {
    fn new(extreme: Extreme, key_type: DataType, row_type: DataType) -> Result<Groups> {
        let order = datafusion::arrow::compute::SortOptions {
            descending: extreme == Extreme::Max,
            nulls_first: false,
        };
        Ok(Groups {
            extreme,
            converter: RowConverter::new(vec![SortField::new_with_options(
                key_type.clone(),
                order,
            )])?,
            key_type,
            row_type,
            keys: Vec::new(),
            rows: Vec::new(),
            retained: 0,
            held: RecordBatchMemoryCounter::new(),
            best: Vec::new(),
            best_key: Vec::new(),
        })
    }

    fn update(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.best.resize(total_num_groups, None);
        self.best_key.resize(total_num_groups, Vec::new());
        let encoded = match self.extreme {
            Extreme::Any => None,
            _ => Some(self.converter.convert_columns(&values[..1])?),
        };
        let input = self.keys.len();
        let mut used = false;
        for (i, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i)) {
                continue;
            }
            let better = match (&self.best[g], &encoded) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(_), Some(keys)) => keys.row(i).as_ref() < self.best_key[g].as_slice(),
            };
            if better {
                self.best[g] = Some((input, i));
                if let Some(keys) = &encoded {
                    self.best_key[g].clear();
                    self.best_key[g].extend_from_slice(keys.row(i).as_ref());
                }
                used = true;
            }
        }
        if used {
            self.hold(&values[0], &values[1])?;
            if self.retained > 2 * self.best.len() + 65_536 {
                self.compact()?;
            }
        }
        Ok(())
    }

    /// The winners of the first `n` groups (nulls for a group without rows): keys, rows.
    fn gather(&mut self, n: usize) -> Result<(ArrayRef, ArrayRef)> {
        let none = self.keys.len();
        let mut keys: Vec<&dyn Array> = self.keys.iter().map(|a| a.as_ref()).collect();
        let mut rows: Vec<&dyn Array> = self.rows.iter().map(|a| a.as_ref()).collect();
        let null_key = new_null_array(&self.key_type, 1);
        let null_row = new_null_array(&self.row_type, 1);
        keys.push(null_key.as_ref());
        rows.push(null_row.as_ref());
        let indices: Vec<(usize, usize)> = self.best[..n]
            .iter()
            .map(|b| b.unwrap_or((none, 0)))
            .collect();
        Ok((interleave(&keys, &indices)?, interleave(&rows, &indices)?))
    }

    /// Keeps only the winners' rows.
    fn compact(&mut self) -> Result<()> {
        let (keys, rows) = self.gather(self.best.len())?;
        for (g, b) in self.best.iter_mut().enumerate() {
            if b.is_some() {
                *b = Some((0, g));
            }
        }
        self.keys.clear();
        self.rows.clear();
        self.retained = 0;
        self.held = RecordBatchMemoryCounter::new();
        self.hold(&keys, &rows)
    }

    /// Keeps an input the winners point into, and counts its memory.
    fn hold(&mut self, keys: &ArrayRef, rows: &ArrayRef) -> Result<()> {
        let both = RecordBatch::try_from_iter([("key", keys.clone()), ("row", rows.clone())])?;
        self.held.count_batch(&both);
        self.keys.push(keys.clone());
        self.rows.push(rows.clone());
        self.retained += rows.len();
        Ok(())
    }

    fn emit(&mut self, emit_to: EmitTo) -> Result<(ArrayRef, ArrayRef)> {
        let n = match emit_to {
            EmitTo::All => self.best.len(),
            EmitTo::First(n) => n.min(self.best.len()),
        };
        let out = self.gather(n)?;
        emit_to.take_needed(&mut self.best);
        emit_to.take_needed(&mut self.best_key);
        if self.best.is_empty() {
            self.keys.clear();
            self.rows.clear();
            self.retained = 0;
            self.held = RecordBatchMemoryCounter::new();
        }
        Ok(out)
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.update(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(self.emit(emit_to)?.1)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (keys, rows) = self.emit(emit_to)?;
        Ok(vec![keys, rows])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.update(values, group_indices, None, total_num_groups)
    }

    /// Each input row as a group of its own (its state is itself); filtered rows are null.
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(filter) = opt_filter else {
            return Ok(values.to_vec());
        };
        let dropped = not(&prep_null_mask_filter(filter))?;
        Ok(values
            .iter()
            .map(|v| nullif(v, &dropped))
            .collect::<std::result::Result<_, _>>()?)
    }

    fn size(&self) -> usize {
        let arrays = self.held.memory_usage();
        let keys: usize = self.best_key.iter().map(Vec::capacity).sum();
        arrays + keys + self.best.capacity() * std::mem::size_of::<Option<(usize, usize)>>()
    }
}

/// The same, without groups (a `summarize` without `by`).
struct OneGroup(Groups);

impl std::fmt::Debug for OneGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OneGroup({:?})", self.0.extreme)
    }
}

impl Accumulator for OneGroup {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.update(values, &vec![0; n], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.best.resize(1, None);
        let (_, rows) = self.0.gather(1)?;
        ScalarValue::try_from_array(&rows, 0)
    }

    fn size(&self) -> usize {
        GroupsAccumulator::size(&self.0)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.best.resize(1, None);
        let (keys, rows) = self.0.gather(1)?;
        Ok(vec![
            ScalarValue::try_from_array(&keys, 0)?,
            ScalarValue::try_from_array(&rows, 0)?,
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};

    /// Inputs that are slices of one batch hold that batch's memory once.
    #[test]
    fn slices_of_one_batch_count_once() -> Result<()> {
        let n = 10_000;
        let keys: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n as i64));
        let rows: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("{i:0>100}")),
        ));
        let batch = keys.get_array_memory_size() + rows.get_array_memory_size();
        let mut groups = Groups::new(Extreme::Max, DataType::Int64, DataType::Utf8)?;
        // Ten slices, each the first rows of its own groups: all ten are held.
        for part in 0..10 {
            let (start, len) = (part * n / 10, n / 10);
            let slice = [keys.slice(start, len), rows.slice(start, len)];
            let group_indices: Vec<usize> = (start..start + len).collect();
            groups.update(&slice, &group_indices, None, n)?;
        }
        assert_eq!(groups.keys.len(), 10);
        let size = GroupsAccumulator::size(&groups);
        assert!(
            size >= batch && size < 2 * batch,
            "{size} for a batch of {batch}"
        );
        let winners = groups.emit(EmitTo::All)?.1;
        assert_eq!(winners.len(), n);
        assert_eq!(winners.as_ref(), rows.as_ref());
        Ok(())
    }
}
