using Hipaa.Cli.Audit;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.Cli.Breach;

/// <summary>Reads the key table <c>hipaa_keys</c> (ids, kinds, scopes, versions, states; the wrapped keys are not used).</summary>
internal static class KeyTable
{
    public static async Task<IReadOnlyList<DataKeyRecord>> ReadAsync(string provider, string connectionString, CancellationToken cancellationToken)
    {
        var builder = new DbContextOptionsBuilder<KeyStoreDbContext>();
        _ = provider switch
        {
            AuditStoreConnection.Sqlite => builder.UseSqlite(connectionString),
            AuditStoreConnection.Postgres => builder.UseNpgsql(connectionString),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "The provider is sqlite or postgres."),
        };
        var context = new KeyStoreDbContext(builder.Options);
        await using (context.ConfigureAwait(false))
        {
            return await context.Keys.AsNoTracking()
                .Select(k => new DataKeyRecord
                {
                    Id = k.Id,
                    Kind = k.Kind,
                    Scope = k.Scope,
                    Version = k.Version,
                    State = k.State,
                    WrappedBy = k.WrappedBy,
                    CreatedAt = k.CreatedAt,
                    RetiredAt = k.RetiredAt,
                    DestroyedAt = k.DestroyedAt,
                })
                .ToListAsync(cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
