/** The signing-key endpoints of the admin API: the same list and rotation as `npm run keys`, audited. */
import { AppError } from '../../errors.ts';
import { listSigningKeys, rotateSigningKeys, type SigningKeyView } from '../../keys/key-admin.ts';
import type { KeyStore, MaintenanceReport } from '../../keys/key-store.ts';
import type { SigningKeyRepository } from '../../repositories/signing-key-repository.ts';
import type { AuditLog } from '../audit-log.ts';
import { auditAdminChange, type AdminActor } from './admin-actor.ts';

export interface SigningKeyAdmin {
  list(): Promise<SigningKeyView[]>;
  rotate(actor: AdminActor): Promise<MaintenanceReport>;
}

export function createSigningKeyAdmin(deps: {
  keys: Pick<KeyStore, 'maintain'>;
  repository: Pick<SigningKeyRepository, 'withLock'>;
  audit: Pick<AuditLog, 'record'>;
  /** JWT_PRIVATE_KEY is set: the operator manages the key, Sesame stores and rotates none. */
  operatorManaged: boolean;
}): SigningKeyAdmin {
  const { keys, repository, audit, operatorManaged } = deps;
  return {
    list: () => listSigningKeys(repository),
    async rotate(actor) {
      if (operatorManaged) throw new AppError('keys_managed_by_operator');
      const report = await rotateSigningKeys(keys);
      auditAdminChange(audit, actor, 'admin.signing_keys_rotated', {
        detail: { created: report.created ?? null, promoted: report.promote ?? null, removed: report.remove.length },
      });
      return report;
    },
  };
}
