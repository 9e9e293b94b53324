// Everything AgentOps runs on, in one resource group (main.bicep creates the group and passes these parameters):
//   identity      one user-assigned identity for the function app: storage, Application Insights
//   monitoring    Log Analytics workspace + Application Insights
//   storage       the Functions host's storage (identity-based AzureWebJobsStorage), the deployment package container,
//                 the application's containers: 'payloads' (large event inputs/outputs) and 'ingest-batches'
//                 (claim-check payloads of accepted batches too large for a queue message), and the queues
//                 'ingest-batches' (accepted ingest batches) and 'ingest-batches-poison' (what could not be stored)
//   database      PostgreSQL Flexible Server 16 with Entra authentication (+ password auth, see the note there)
//   api           Flex Consumption function app (dotnet-isolated 10.0), tagged azd-service-name: api
//   web           Static Web App for the dashboard, tagged azd-service-name: web

param location string
param staticWebAppLocation string
param tags object
param resourceToken string
param principalId string
param principalName string
param principalType string
param postgresClientIp string

@secure()
param jwtSecret string
@secure()
param secretsKey string
@secure()
param postgresAdminPassword string
@secure()
param appDatabasePassword string

var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var ingestQueueName = 'ingest-batches'
// Containers the application uses (functions/AgentOps.Functions: AzureBlobStore, IngestBatchBlobs).
var payloadsContainerName = 'payloads'
var ingestBatchesContainerName = 'ingest-batches'
var databaseName = 'agentops'
var postgresAdminLogin = 'agentopsadmin'

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------------------------------------------------------------------------------------------------------------------
// Identity

resource apiIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-api-${resourceToken}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------------------------
// Monitoring

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
  }
}

resource appInsightsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, apiIdentity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Storage: no shared keys; the function app reaches it with its identity (AzureWebJobsStorage__* settings below).

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource payloadsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: payloadsContainerName
  properties: { publicAccess: 'None' }
}

resource ingestBatchesContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: ingestBatchesContainerName
  properties: { publicAccess: 'None' }
}

// A claim-check blob is deleted once its batch is processed; this removes what a failed send or delete leaves behind.
// 30 days: the window to replay a poison message (README of the Azure host); ingest messages themselves never expire.
resource storageLifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-ingest-batch-payloads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [ '${ingestBatchesContainerName}/' ]
            }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } }
            }
          }
        }
      ]
    }
  }
  dependsOn: [ ingestBatchesContainer ]
}

// Blob (deployment package, Durable leases, the application's containers), queue (the ingest queues; Durable
// Functions' Azure Storage backend) and table (Durable, timers). Blob Data Owner on the account covers the application's
// read/write/delete of its blobs; Queue Data Contributor its sends, receives and deletes of ingest messages.
var storageRoles = [ roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor ]

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoles: {
  name: guid(storage.id, apiIdentity.id, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

// ---------------------------------------------------------------------------------------------------------------------
// Ingest queues (functions/AgentOps.Functions/Ingest): one message per accepted batch, at most 64 KiB (larger batches
// travel as claim checks in the 'ingest-batches' container); host.json's extensions.queues sets delivery (maxDequeueCount
// 5, then the host moves a message to '<queue>-poison', where the trigger also sets aside what can never be stored).
// Storage queues, not the design card's Service Bus: its trigger cannot be obtained (README of the Azure host).

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource ingestQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: ingestQueueName
}

resource ingestPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${ingestQueueName}-poison'
}

// ---------------------------------------------------------------------------------------------------------------------
// Database. Entra authentication is on, and the deploying principal becomes the Entra administrator (when its name is
// known). Password authentication stays on as well: the application connects as the agentops_app role with a password
// (AGENTOPS_DATABASE_URL), because it does not fetch Entra tokens for Npgsql yet. Turn passwordAuth off once it does.
// The child resources are chained with dependsOn: the server accepts one change at a time.

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: 'psql-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard_B1ms'
    tier: 'Burstable'
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Enabled'
      tenantId: tenant().tenantId
    }
    storage: { storageSizeGB: 32 }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: { mode: 'Disabled' }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// Flex Consumption apps without a virtual network leave from shared Azure addresses: allow Azure services.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [ database ]
}

resource allowClient 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!empty(postgresClientIp)) {
  parent: postgres
  name: 'AllowClientIp'
  properties: {
    startIpAddress: postgresClientIp
    endIpAddress: postgresClientIp
  }
  dependsOn: [ allowAzure ]
}

resource entraAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = if (!empty(principalId) && !empty(principalName)) {
  parent: postgres
  name: principalId
  properties: {
    principalName: principalName
    principalType: principalType
    tenantId: tenant().tenantId
  }
  dependsOn: [ allowAzure, allowClient ]
}

// ---------------------------------------------------------------------------------------------------------------------
// API: Flex Consumption function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: { reserved: true }
}

resource api 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${apiIdentity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      // The dashboard calls the API from its own origin; tokens travel in the Authorization header, not cookies.
      cors: { allowedOrigins: [ 'https://${web.properties.defaultHostname}' ] }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: apiIdentity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 100
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
  dependsOn: [ deploymentContainer ]
}

// Flex Consumption sets the worker runtime itself (functionAppConfig.runtime): no FUNCTIONS_WORKER_RUNTIME here.
resource apiSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: api
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: apiIdentity.properties.clientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${apiIdentity.properties.clientId};Authorization=AAD'
    IngestQueueName: ingestQueue.name
    TASKHUB_NAME: 'agentops'
    // The ingest queue trigger's connection and the application's queue and blob clients (AzureServices.cs).
    AgentOpsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AgentOpsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AgentOpsStorage__credential: 'managedidentity'
    AgentOpsStorage__clientId: apiIdentity.properties.clientId
    AGENTOPS_DATABASE_URL: 'postgresql://agentops_app:${uriComponent(appDatabasePassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
    AGENTOPS_JWT_SECRET: jwtSecret
    // 32 generated characters as base64: the 32-byte master key of provider credentials (AGENTOPS_SECRETS_KEY).
    AGENTOPS_SECRETS_KEY: base64(secretsKey)
    // The Functions front end sets X-Forwarded-For: per-IP limits and the audit log then see the client.
    AGENTOPS_TRUST_FORWARDED_HEADERS: 'true'
  }
  // The host starts with these settings: give it its storage roles, containers and queues first.
  dependsOn: [ storageAccess, appInsightsPublisher, payloadsContainer, ingestBatchesContainer, ingestPoisonQueue ]
}

// ---------------------------------------------------------------------------------------------------------------------
// Web: the dashboard (azd deploys web-static's build output here)

resource web 'Microsoft.Web/staticSites@2024-04-01' = {
  name: 'stapp-${resourceToken}'
  location: staticWebAppLocation
  tags: union(tags, { 'azd-service-name': 'web' })
  sku: {
    name: 'Free'
    tier: 'Free'
  }
  properties: {
    provider: 'Custom'
  }
}

output apiName string = api.name
output apiUri string = 'https://${api.properties.defaultHostName}'
output webName string = web.name
output webUri string = 'https://${web.properties.defaultHostname}'
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
output storageAccountName string = storage.name
output ingestQueueName string = ingestQueue.name
output storageBlobEndpoint string = storage.properties.primaryEndpoints.blob
output postgresHost string = postgres.properties.fullyQualifiedDomainName
output postgresDatabase string = databaseName
output postgresAdminLogin string = postgresAdminLogin
