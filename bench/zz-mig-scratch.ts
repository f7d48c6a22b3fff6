import { sql } from 'kysely';
import { openDatabase } from '../api/src/db/database.js';
import { migrate } from '../api/src/db/migrator.js';
const handle = await openDatabase({ url: '', dataDir: '/tmp/scratch/pgl', poolSize: 1, embeddedFsync: false });
console.log(await migrate(handle));
console.log((await sql`SELECT name FROM e2a_migrations ORDER BY name`.execute(handle.db)).rows);
console.log((await sql`SELECT column_name FROM information_schema.columns WHERE table_name='messages' AND column_name IN ('search','deleted_at','send_at')`.execute(handle.db)).rows);
await handle.close();
