//! Test component for a world that is NOT `corral:plugin`: the host must
//! refuse it at validation ("unsupported world").
wit_bindgen::generate!({
    inline: r#"
        package acme:gadget@1.0.0;

        interface widget {
            spin: func(times: u32) -> u32;
        }

        world gadget {
            export widget;
        }
    "#,
});

struct Gadget;

impl exports::acme::gadget::widget::Guest for Gadget {
    fn spin(times: u32) -> u32 {
        times.wrapping_mul(2)
    }
}

export!(Gadget);
