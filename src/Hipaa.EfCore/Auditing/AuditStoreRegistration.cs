using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>How to reach the audit tables' database, as given to <c>UseAuditStore</c>.</summary>
internal sealed record AuditStoreRegistration(Action<IServiceProvider, DbContextOptionsBuilder> Configure);
