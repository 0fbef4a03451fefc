using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Encryption;

/// <summary>How to reach the key table's database, as given to <c>UseKeyStore</c>.</summary>
internal sealed record KeyStoreRegistration(Action<IServiceProvider, DbContextOptionsBuilder> Configure);
