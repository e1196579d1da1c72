// Prints a Parquet file as JSON lines, one array of cells per row, read by an
// independent reader: `node read_parquet.mjs polars|hyparquet FILE TYPES`, where
// TYPES is a comma-separated list of sluice column types (string, int32, int64,
// double, bool, timestamp) in column order. Cells use the text form of
// tests/parquet/parquet_test_util.h cell_text(): "NULL"; integers in decimal
// (timestamps as epoch microseconds); doubles as "d:" + their IEEE bit pattern
// as an unsigned decimal, or "nan"; booleans true/false; strings as they are.
import { readFileSync } from 'node:fs'

const [reader, file, typeList] = process.argv.slice(2)
if (!reader || !file || !typeList) {
  console.error('usage: node read_parquet.mjs polars|hyparquet FILE TYPES')
  process.exit(2)
}
const types = typeList.split(',')

function doubleText(v) {
  if (Number.isNaN(v)) return 'nan'
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, v, true)
  return 'd:' + view.getBigUint64(0, true).toString()
}

function cell(type, v) {
  if (v === null || v === undefined) return 'NULL'
  switch (type) {
    case 'string': return String(v)
    case 'int32':
    case 'int64':
    case 'timestamp': return typeof v === 'bigint' ? v.toString() : String(v)
    case 'double': return doubleText(Number(v))
    case 'bool': return v ? 'true' : 'false'
    default: throw new Error('unknown type ' + type)
  }
}

function print(rows) {
  const out = []
  for (const row of rows) out.push(JSON.stringify(row.map((v, i) => cell(types[i], v))))
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
}

if (reader === 'polars') {
  const pl = (await import('nodejs-polars')).default
  const df = pl.readParquet(file)
  if (df.width !== types.length) throw new Error(`polars: ${df.width} columns, expected ${types.length}`)
  // Integers leave Polars as exact decimal text (a JS number would round
  // int64); timestamps as their microseconds; doubles as JS numbers (exact).
  const exprs = df.columns.map((name, i) => {
    const c = pl.col(name)
    if (types[i] === 'timestamp') return c.cast(pl.Int64).cast(pl.Utf8).alias(name)
    if (types[i] === 'int32' || types[i] === 'int64') return c.cast(pl.Utf8).alias(name)
    return c
  })
  const columns = df.select(...exprs).getColumns().map(s => s.toArray())
  const rows = []
  for (let r = 0; r < df.height; ++r) rows.push(columns.map(col => col[r]))
  print(rows)
} else if (reader === 'hyparquet') {
  const { parquetReadObjects, parquetMetadata } = await import('hyparquet')
  const { compressors } = await import('hyparquet-compressors')
  const bytes = readFileSync(file)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  const metadata = parquetMetadata(buffer)
  const names = metadata.schema.slice(1).map(e => e.name)
  if (names.length !== types.length) throw new Error(`hyparquet: ${names.length} columns, expected ${types.length}`)
  const objects = await parquetReadObjects({
    file: buffer,
    compressors,
    parsers: { timestampFromMicroseconds: micros => micros },
  })
  print(objects.map(o => names.map(n => o[n])))
} else {
  console.error('unknown reader ' + reader)
  process.exit(2)
}
