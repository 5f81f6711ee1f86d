/**
 * DuckDbGovernanceStore: retention and erasure in DuckDB SQL. Every value (project, type,
 * cutoff, id) is a bound parameter; only placeholders are generated.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ErasureMatch, ErasureStore, RetentionCount, RetentionPlan, RetentionStore } from '../governance.js';
import type { DuckDbDatabase } from './database.js';

/** DuckDB TIMESTAMP literals have no zone; the table stores UTC. */
const toDuckTs = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

type Params = Record<string, string>;

/** `$name0, $name1, ...` for a list of values, added to `params`. */
function placeholders(name: string, values: readonly string[], params: Params): string {
  return values
    .map((v, i) => {
      params[`${name}${i}`] = v;
      return `$${name}${i}`;
    })
    .join(', ');
}

async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const out = await fn();
    await conn.run('COMMIT');
    return out;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export class DuckDbGovernanceStore implements RetentionStore, ErasureStore {
  constructor(private readonly db: DuckDbDatabase) {}

  projects(): Promise<string[]> {
    return this.db.use(async (conn) => {
      const r = await conn.runAndReadAll('SELECT DISTINCT project_id FROM events ORDER BY project_id');
      return r.getRows().map((row) => String(row[0]));
    });
  }

  countDue(plan: RetentionPlan): Promise<RetentionCount[]> {
    if (plan.rules.length === 0) return Promise.resolve([]);
    const params: Params = {};
    const values = plan.rules
      .map((rule, i) => {
        params[`p${i}`] = rule.projectId;
        params[`t${i}`] = rule.type;
        params[`c${i}`] = toDuckTs(rule.cutoff);
        return `($p${i}, $t${i}, $c${i}::TIMESTAMP)`;
      })
      .join(', ');
    const sql = `SELECT e.project_id, e.type, count(*)::BIGINT FROM events e
      JOIN (VALUES ${values}) AS r(project_id, type, cutoff) ON e.project_id = r.project_id AND e.type = r.type
      WHERE e.received_at < r.cutoff GROUP BY e.project_id, e.type ORDER BY e.project_id, e.type`;
    return this.db.use(async (conn) => {
      const r = await conn.runAndReadAll(sql, params);
      return r.getRows().map((row) => ({ projectId: String(row[0]), type: String(row[1]), rows: Number(row[2]) }));
    });
  }

  deleteDue(plan: RetentionPlan): Promise<RetentionCount[]> {
    return this.db.use((conn) =>
      inTransaction(conn, async () => {
        const out: RetentionCount[] = [];
        for (const rule of plan.rules) {
          const result = await conn.run(
            'DELETE FROM events WHERE project_id = $project AND type = $type AND received_at < $cutoff::TIMESTAMP',
            { project: rule.projectId, type: rule.type, cutoff: toDuckTs(rule.cutoff) },
          );
          const rows = Number(result.rowsChanged);
          if (rows > 0) out.push({ projectId: rule.projectId, type: rule.type, rows });
        }
        return out;
      }),
    );
  }

  linkedIds(projectId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    const params: Params = { project: projectId };
    const list = placeholders('u', userIds, params);
    const sql = `SELECT DISTINCT v FROM (
        SELECT anonymous_id AS v FROM events WHERE project_id = $project AND user_id IN (${list})
        UNION ALL SELECT previous_id AS v FROM events WHERE project_id = $project AND user_id IN (${list})
      ) WHERE v IS NOT NULL ORDER BY v`;
    return this.db.use(async (conn) => (await conn.runAndReadAll(sql, params)).getRows().map((row) => String(row[0])));
  }

  erase(match: ErasureMatch): Promise<number> {
    if (match.ids.length === 0) return Promise.resolve(0);
    const params: Params = { project: match.projectId };
    const list = placeholders('id', match.ids, params);
    const sql = `DELETE FROM events WHERE project_id = $project AND (user_id IN (${list}) OR anonymous_id IN (${list}) OR previous_id IN (${list}))`;
    return this.db.use((conn) => inTransaction(conn, async () => Number((await conn.run(sql, params)).rowsChanged)));
  }

  purge(): Promise<void> {
    return this.db.compact();
  }
}
