using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Policy;

/// <summary>How to reach the consent tables' database, and the store's options, as given to <c>UseConsentStore</c>.</summary>
internal sealed record ConsentStoreRegistration(Action<IServiceProvider, DbContextOptionsBuilder> Configure, Hipaa.Policy.ConsentStoreOptions Options);
