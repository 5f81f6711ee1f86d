/**
 * The data-governance seam: what retention and erasure need from a store, beside loading
 * (`Sink`) and reading (`EventStore`). The plans are computed outside the store (see
 * governance/); a store only counts, deletes and purges, with every value bound as a
 * parameter. Implementations: DuckDbGovernanceStore (sinks/duckdb/governance.ts).
 */

/** Rows of one project and event type received before `cutoff` are due for deletion. */
export interface RetentionRule {
  projectId: string;
  type: string;
  /** Days kept after receipt (for reports). */
  days: number;
  /** ISO-8601 UTC instant; rows with `received_at` strictly before it are due. */
  cutoff: string;
}

export interface RetentionPlan {
  rules: RetentionRule[];
}

/** Rows due (counted) or deleted for one project and type; only non-zero entries are listed. */
export interface RetentionCount {
  projectId: string;
  type: string;
  rows: number;
}

export interface RetentionStore {
  /** Project ids that have rows in the store. */
  projects(): Promise<string[]>;
  /** How many rows each rule would delete; changes nothing. */
  countDue(plan: RetentionPlan): Promise<RetentionCount[]>;
  /** Deletes the due rows of every rule, in one transaction. */
  deleteDue(plan: RetentionPlan): Promise<RetentionCount[]>;
}

/** The stored ids to erase in one project; a row matches when any identity column holds one. */
export interface ErasureMatch {
  projectId: string;
  /** Values of `user_id`, `anonymous_id` or `previous_id` whose rows are erased. */
  ids: string[];
}

export interface ErasureStore {
  /**
   * Ids linked to these user ids in a project: the `anonymous_id` and `previous_id` values of
   * rows whose `user_id` is one of them.
   */
  linkedIds(projectId: string, userIds: string[]): Promise<string[]>;
  /** Deletes every matching row, in one transaction; answers how many. */
  erase(match: ErasureMatch): Promise<number>;
  /**
   * Makes deleted rows unrecoverable from the store's files (an engine may keep deleted
   * values in free pages until it rewrites them). The caller releases the loader's
   * connection first and pauses loading meanwhile.
   */
  purge(): Promise<void>;
}
