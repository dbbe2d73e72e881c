// The feature database's schema as an ordered list of migrations. `PRAGMA user_version` records how
// many have run; opening a database applies the missing ones in one transaction each. Never edit a
// released migration — append a new one. docs/schema.md documents the resulting tables.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'models, datasets, SAE families, SAEs, harvests, latents, contexts, histograms, logit effects, neighbours',
    sql: `
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        n_layer INTEGER, d_model INTEGER, vocab_size INTEGER,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
      );
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        spec TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
      );
      CREATE TABLE sae_families (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        model_id INTEGER REFERENCES models(id),
        hook_name TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
      );
      CREATE TABLE saes (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        family_id INTEGER REFERENCES sae_families(id) ON DELETE SET NULL,
        model_id INTEGER REFERENCES models(id),
        hook_name TEXT NOT NULL,
        architecture TEXT NOT NULL,
        d_in INTEGER NOT NULL,
        d_sae INTEGER NOT NULL,
        k INTEGER,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
      );
      CREATE INDEX saes_family ON saes(family_id);
      CREATE TABLE harvests (
        sae_id INTEGER PRIMARY KEY REFERENCES saes(id) ON DELETE CASCADE,
        dataset_id INTEGER REFERENCES datasets(id),
        tokens INTEGER NOT NULL,
        top_n INTEGER NOT NULL,
        params TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete')),
        started_at TEXT NOT NULL DEFAULT (datetime('now')),
        finished_at TEXT
      );
      CREATE TABLE latents (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        density REAL NOT NULL,
        mean_act REAL NOT NULL,
        max_act REAL NOT NULL,
        top_tokens TEXT NOT NULL DEFAULT '',
        umap_x REAL, umap_y REAL,
        PRIMARY KEY (sae_id, latent)
      ) WITHOUT ROWID;
      CREATE INDEX latents_density ON latents(sae_id, density);
      CREATE INDEX latents_max_act ON latents(sae_id, max_act);
      CREATE TABLE contexts (
        id INTEGER PRIMARY KEY,
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('top', 'quantile')),
        rank INTEGER NOT NULL,
        interval INTEGER,
        value REAL NOT NULL,
        max_index INTEGER NOT NULL,
        tokens BLOB NOT NULL,
        acts BLOB NOT NULL,
        UNIQUE (sae_id, latent, kind, rank)
      );
      CREATE TABLE act_histograms (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        log_lo REAL NOT NULL, log_hi REAL NOT NULL,
        counts BLOB NOT NULL,
        PRIMARY KEY (sae_id, latent)
      ) WITHOUT ROWID;
      CREATE TABLE logit_effects (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        sign INTEGER NOT NULL CHECK (sign IN (1, -1)),
        rank INTEGER NOT NULL,
        token_id INTEGER NOT NULL,
        token TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (sae_id, latent, sign, rank)
      ) WITHOUT ROWID;
      CREATE TABLE neighbours (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        other_sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        other_latent INTEGER NOT NULL,
        cosine REAL NOT NULL,
        PRIMARY KEY (sae_id, latent, other_sae_id, rank)
      ) WITHOUT ROWID;
      CREATE INDEX neighbours_other ON neighbours(other_sae_id);
    `,
  },
  {
    version: 2,
    description: '3-D UMAP coordinates on latents; histograms of logit effects',
    sql: `
      ALTER TABLE latents ADD COLUMN umap3_x REAL;
      ALTER TABLE latents ADD COLUMN umap3_y REAL;
      ALTER TABLE latents ADD COLUMN umap3_z REAL;
      CREATE TABLE logit_histograms (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        lo REAL NOT NULL, hi REAL NOT NULL,
        counts BLOB NOT NULL,
        PRIMARY KEY (sae_id, latent)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'promoted logit tokens as text on latents, so search scans one table',
    sql: `
      ALTER TABLE latents ADD COLUMN logit_tokens TEXT NOT NULL DEFAULT '';
      UPDATE latents SET logit_tokens = coalesce((
        SELECT group_concat(token, ' ') FROM (
          SELECT token FROM logit_effects e WHERE e.sae_id = latents.sae_id AND e.latent = latents.latent AND e.sign = 1 ORDER BY rank
        )
      ), '');
    `,
  },
  {
    version: 4,
    description: 'comparable sets: a kind on families (sizes or checkpoints); counterparts matched by activation correlation on shared tokens',
    sql: `
      ALTER TABLE sae_families ADD COLUMN kind TEXT NOT NULL DEFAULT 'sizes' CHECK (kind IN ('sizes', 'checkpoints'));
      CREATE TABLE counterpart_runs (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        other_sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        dataset_id INTEGER REFERENCES datasets(id),
        tokens INTEGER NOT NULL,
        PRIMARY KEY (sae_id, other_sae_id)
      ) WITHOUT ROWID;
      CREATE TABLE counterparts (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        other_sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        other_latent INTEGER NOT NULL,
        correlation REAL NOT NULL,
        PRIMARY KEY (sae_id, latent, other_sae_id, rank)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    description: "contexts packed per latent (context_packs) with tokens referenced in corpus windows stored once per SAE (windows); version-4 contexts rows stay and are still read",
    sql: `
      CREATE TABLE windows (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        window INTEGER NOT NULL,
        token_bytes INTEGER NOT NULL CHECK (token_bytes IN (2, 4)),
        tokens BLOB NOT NULL,
        PRIMARY KEY (sae_id, window)
      ) WITHOUT ROWID;
      -- A rowid table: packs are kilobytes, and WITHOUT ROWID suits only small rows.
      CREATE TABLE context_packs (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        pack BLOB NOT NULL,
        UNIQUE (sae_id, latent)
      );
    `,
  },
  {
    version: 6,
    description: 'latent_text: a trigram full-text index of each latent\'s top tokens and logit tokens, kept in step with latents by triggers, so substring search and the list filter need not scan every latent',
    // The index's rowid packs (sae_id, latent) as sae_id·2^32 + latent (latents is WITHOUT ROWID).
    // Triggers keep it in step however latents change, cascaded deletes of an SAE included.
    sql: `
      CREATE VIRTUAL TABLE latent_text USING fts5(top_tokens, logit_tokens, tokenize = 'trigram');
      INSERT INTO latent_text (rowid, top_tokens, logit_tokens) SELECT sae_id * 4294967296 + latent, top_tokens, logit_tokens FROM latents;
      CREATE TRIGGER latent_text_insert AFTER INSERT ON latents BEGIN
        INSERT INTO latent_text (rowid, top_tokens, logit_tokens) VALUES (new.sae_id * 4294967296 + new.latent, new.top_tokens, new.logit_tokens);
      END;
      CREATE TRIGGER latent_text_delete AFTER DELETE ON latents BEGIN
        DELETE FROM latent_text WHERE rowid = old.sae_id * 4294967296 + old.latent;
      END;
      CREATE TRIGGER latent_text_update AFTER UPDATE OF sae_id, latent, top_tokens, logit_tokens ON latents BEGIN
        DELETE FROM latent_text WHERE rowid = old.sae_id * 4294967296 + old.latent;
        INSERT INTO latent_text (rowid, top_tokens, logit_tokens) VALUES (new.sae_id * 4294967296 + new.latent, new.top_tokens, new.logit_tokens);
      END;
    `,
  },
  {
    version: 7,
    description: "feature-map coordinates per basis (map_points: decoder cosines as before, or activation profiles), moved out of latents; random-projected activation profiles per latent (activation_profiles)",
    // A latent that never fired has no profile and no activation-basis point. Version-6 coordinates
    // become the decoder basis's points; latents keeps no coordinates after this.
    sql: `
      CREATE TABLE map_points (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        basis TEXT NOT NULL CHECK (basis IN ('decoder', 'activation')),
        latent INTEGER NOT NULL,
        x REAL NOT NULL, y REAL NOT NULL,
        x3 REAL, y3 REAL, z3 REAL,
        PRIMARY KEY (sae_id, basis, latent)
      ) WITHOUT ROWID;
      INSERT INTO map_points (sae_id, basis, latent, x, y, x3, y3, z3)
        SELECT sae_id, 'decoder', latent, umap_x, umap_y, umap3_x, umap3_y, umap3_z FROM latents WHERE umap_x IS NOT NULL AND umap_y IS NOT NULL;
      ALTER TABLE latents DROP COLUMN umap_x;
      ALTER TABLE latents DROP COLUMN umap_y;
      ALTER TABLE latents DROP COLUMN umap3_x;
      ALTER TABLE latents DROP COLUMN umap3_y;
      ALTER TABLE latents DROP COLUMN umap3_z;
      -- A rowid table: a profile is a kilobyte (256 float32).
      CREATE TABLE activation_profiles (
        sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
        latent INTEGER NOT NULL,
        profile BLOB NOT NULL,
        UNIQUE (sae_id, latent)
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
