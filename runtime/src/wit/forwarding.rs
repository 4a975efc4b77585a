//! The export forwarding that later versions share, as macros expanded in each version module.
//!
//! Why: exports cannot be mapped onto an older version's bindings (`with` maps imports only),
//! so every version's `bindgen!` has its own, identical types for the interfaces it exports
//! unchanged (`extension@0.2.0`, `devices@0.4.0`...). The code converting them to the API's
//! types is the same text in each version module; it is written once here. A module expanding
//! these names its export modules `tokens` (enrolment tokens), `devices` and `c` (its
//! collections) and, for `collection_conversions!`, has a `permission` function.

/// `extension` (0.2.0), `enrolment-tokens` (0.3.0), `devices` and `settings` (0.4.0).
macro_rules! exports_v0_4 {
    () => {
        fn describe_extension<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
        ) -> Call<'a, Option<ExtensionInfo>> {
            Box::pin(async move {
                let extension = self.bindings(store)?.corral_plugin0_2_0_extension();
                let info = extension.call_describe_extension(store).await?;
                Ok(Some(extension_info!(info)))
            })
        }

        fn perform<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            action: &'a str,
            input: &'a Json,
        ) -> Call<'a, Answer<Json>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_2_0_extension()
                    .call_perform(store, action, input)
                    .await
            })
        }

        fn create_token<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            request: &'a TokenRequest,
        ) -> Call<'a, Answer<Token>> {
            let request = tokens::TokenRequest {
                profile_id: request.profile_id.clone(),
                owner_user_id: request.owner_user_id.clone(),
                validity_days: request.validity_days,
                attributes: request.attributes.clone(),
            };
            Box::pin(async move {
                let exports = self.bindings(store)?.corral_plugin0_3_0_enrolment_tokens();
                let answer = exports.call_create_token(store, &request).await?;
                Ok(answer.map(|t| Token {
                    name: t.name,
                    value: t.value,
                    expires_at_ms: t.expires_at_ms,
                    qr_payload: t.qr_payload,
                    vendor_document: t.vendor_document,
                }))
            })
        }

        fn delete_token<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            name: &'a str,
        ) -> Call<'a, Answer<()>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_3_0_enrolment_tokens()
                    .call_delete_token(store, name)
                    .await
            })
        }

        fn sync_inventory<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, Answer<u32>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_4_0_devices()
                    .call_sync_inventory(store)
                    .await
            })
        }

        fn execute<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            device: &'a ManagedDevice,
            command: &'a DeviceCommand,
        ) -> Call<'a, Answer<()>> {
            let device = devices::ManagedDevice {
                device_id: device.device_id.clone(),
                vendor_name: device.vendor_name.clone(),
                identity: device.identity.clone(),
                configuration: device.configuration.clone(),
            };
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_4_0_devices()
                    .call_execute(store, &device, command)
                    .await
            })
        }

        fn validate_settings<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            settings: &'a [Property],
        ) -> Call<'a, Answer<Vec<FieldError>>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_4_0_settings()
                    .call_validate_settings(store, settings)
                    .await
            })
        }
    };
}
pub(crate) use exports_v0_4;

/// `collections` (0.5.0 and later), through the accessor `$collections` of the version's bindings.
macro_rules! collections_exports {
    ($collections:ident) => {
        fn describe_collections<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
        ) -> Call<'a, Vec<CollectionInfo>> {
            Box::pin(async move {
                let infos = self
                    .bindings(store)?
                    .$collections()
                    .call_describe_collections(store)
                    .await?;
                Ok(infos.into_iter().map(collection_info).collect())
            })
        }

        fn list_items<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            collection: &'a str,
            search: Option<&'a str>,
            page_token: Option<&'a str>,
        ) -> Call<'a, Answer<ItemPage>> {
            Box::pin(async move {
                let answer = self
                    .bindings(store)?
                    .$collections()
                    .call_list_items(store, collection, search, page_token)
                    .await?;
                Ok(answer.map(|page| ItemPage {
                    items: page.items.into_iter().map(item).collect(),
                    next_page_token: page.next_page_token,
                }))
            })
        }

        fn get_item<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            collection: &'a str,
            id: &'a str,
        ) -> Call<'a, Answer<Option<Item>>> {
            Box::pin(async move {
                let answer = self
                    .bindings(store)?
                    .$collections()
                    .call_get_item(store, collection, id)
                    .await?;
                Ok(answer.map(|found| found.map(item)))
            })
        }

        fn action_form<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            collection: &'a str,
            item: Option<&'a str>,
            action: &'a str,
        ) -> Call<'a, Answer<Json>> {
            Box::pin(async move {
                self.bindings(store)?
                    .$collections()
                    .call_form(store, collection, item, action)
                    .await
            })
        }

        fn check_import_rows<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            import_name: &'a str,
            job_id: &'a str,
            columns: &'a [String],
            rows: &'a [ImportValues],
        ) -> Call<'a, Answer<Vec<RefusedRow>>> {
            let rows: Vec<c::ImportValues> = rows
                .iter()
                .map(|row| c::ImportValues {
                    line: row.line,
                    values: row.values.clone(),
                })
                .collect();
            Box::pin(async move {
                let answer = self
                    .bindings(store)?
                    .$collections()
                    .call_check_import_rows(store, import_name, job_id, columns, &rows)
                    .await?;
                Ok(answer.map(|refused| {
                    refused
                        .into_iter()
                        .map(|r| RefusedRow {
                            line: r.line,
                            problems: r.problems,
                        })
                        .collect()
                }))
            })
        }

        fn act<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            collection: &'a str,
            item: Option<&'a str>,
            action: &'a str,
            input: &'a Json,
        ) -> Call<'a, Answer<Outcome>> {
            Box::pin(async move {
                let answer = self
                    .bindings(store)?
                    .$collections()
                    .call_act(store, collection, item, action, input)
                    .await?;
                Ok(answer.map(|outcome| match outcome {
                    c::Outcome::Done(done) => Outcome::Done(done.map(self::item)),
                    c::Outcome::Invalid(problems) => Outcome::Invalid(problems),
                }))
            })
        }
    };
}
pub(crate) use collections_exports;

/// `provisioning` (0.6.0).
macro_rules! provisioning_v0_6 {
    () => {
        fn decides_between<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
        ) -> Call<'a, Vec<EnrolmentChannel>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_6_0_provisioning()
                    .call_decides_between(store)
                    .await
            })
        }

        fn decide_provisioning<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            devices: &'a [DeviceFacts],
        ) -> Call<'a, Answer<Vec<ProvisioningAnswer>>> {
            Box::pin(async move {
                self.bindings(store)?
                    .corral_plugin0_6_0_provisioning()
                    .call_decide_provisioning(store, devices)
                    .await
            })
        }
    };
}
pub(crate) use provisioning_v0_6;

/// The version's collection types as the API's (`collection_info`, `item`).
macro_rules! collection_conversions {
    () => {
        fn collection_info(info: c::CollectionInfo) -> CollectionInfo {
            CollectionInfo {
                name: info.name,
                title: info.title,
                description: info.description,
                columns: info
                    .columns
                    .into_iter()
                    .map(|col| Column {
                        name: col.name,
                        title: col.title,
                    })
                    .collect(),
                searchable: info.searchable,
                actions: info
                    .actions
                    .into_iter()
                    .map(|a| CollectionActionInfo {
                        name: a.name,
                        title: a.title,
                        description: a.description,
                        on_item: a.on_item,
                        permission: permission(a.permission),
                        takes_input: a.takes_input,
                        irreversible: a.irreversible,
                    })
                    .collect(),
                imports: info
                    .imports
                    .into_iter()
                    .map(|i| ImportInfo {
                        name: i.name,
                        title: i.title,
                        description: i.description,
                        columns: i.columns,
                        permission: permission(i.permission),
                    })
                    .collect(),
            }
        }

        fn item(i: c::Item) -> Item {
            Item {
                id: i.id,
                title: i.title,
                values: i.values,
                details: i.details,
            }
        }
    };
}
pub(crate) use collection_conversions;
