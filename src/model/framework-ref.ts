import { z } from 'zod';

/**
 * A reference into a framework catalogue, `catalogue/control` (e.g. `owasp-nhi/NHI2:2025`), as every
 * rule and detection writes it; src/frameworks resolves it against frameworks/*.yaml.
 */
export const FrameworkRefSchema = z.string().regex(/^[a-z0-9-]+\/\S(?:.*\S)?$/, 'refs look like owasp-nhi/NHI2:2025');
