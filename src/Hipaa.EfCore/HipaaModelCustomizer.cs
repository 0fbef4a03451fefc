using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore;

/// <summary>
/// Adds the audit tables to the application's model when auditing is on, so write audits are saved by the application's
/// own <c>SaveChanges</c>, in its transaction — and so migrations create the tables with the rest of the schema.
/// </summary>
internal sealed class HipaaModelCustomizer(ModelCustomizerDependencies dependencies) : RelationalModelCustomizer(dependencies)
{
    public override void Customize(ModelBuilder modelBuilder, DbContext context)
    {
        base.Customize(modelBuilder, context);
        if (HipaaContext.Audit(context) is not null)
        {
            AuditModel.Configure(modelBuilder);
        }
    }
}
