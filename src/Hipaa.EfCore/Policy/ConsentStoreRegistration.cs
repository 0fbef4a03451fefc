using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Policy;

/// <summary>How to reach the consent tables' database, as given to <c>UseConsentStore</c>.</summary>
internal sealed record ConsentStoreRegistration(Action<IServiceProvider, DbContextOptionsBuilder> Configure);
